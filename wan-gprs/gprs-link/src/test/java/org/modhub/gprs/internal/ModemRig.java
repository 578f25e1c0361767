package org.modhub.gprs.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.Severity;
import org.modhub.api.wan.LinkState;
import org.modhub.gprs.emulator.internal.ModemEmulator;
import org.modhub.gprs.internal.at.JSerialCommLine;
import org.modhub.testing.pty.PtyPair;

/**
 * socat pty pair + modem emulator on one end + the real driver ({@link ModemController} over
 * jSerialComm) on the other, with a host that records events, snapshots and durable state.
 */
final class ModemRig implements AutoCloseable {
    /** An event the driver logged. */
    record Event(EventKind kind, String code, Severity severity, String detail) {
    }

    static final Duration WAIT = Duration.ofSeconds(40);

    final PtyPair pty;
    final ModemEmulator modem;
    final List<Event> events = new CopyOnWriteArrayList<>();
    final List<LinkSnapshot> snapshots = new CopyOnWriteArrayList<>();
    final List<String> logs = new CopyOnWriteArrayList<>();
    final Map<String, byte[]> state;
    private final List<ModemController> controllers = new ArrayList<>();
    ModemController driver;

    ModemRig(Path dir) throws Exception {
        this(dir, new ConcurrentHashMap<>());
    }

    private ModemRig(Path dir, Map<String, byte[]> state) throws Exception {
        this.state = state;
        this.pty = PtyPair.start(dir, "modem");
        this.modem = new ModemEmulator(pty.far.toString());
    }

    /** Test settings: short poll and timeouts that still leave room on a loaded machine. */
    GprsSettings settings() {
        return GprsSettings.defaults(pty.hub.toString()).withApn("iot.modhub").withTimings(2000, 500, 500);
    }

    ModemController start(GprsSettings settings) {
        driver = new ModemController(settings,
                s -> JSerialCommLine.open(s.port(), s.baudRate(), 200, 2000), new ModemController.Host() {
                    @Override
                    public void changed(LinkSnapshot snapshot) {
                        snapshots.add(snapshot);
                    }

                    @Override
                    public void event(EventKind kind, String code, Severity severity, String detail) {
                        events.add(new Event(kind, code, severity, detail));
                    }

                    @Override
                    public void log(Severity level, String message) {
                        logs.add(level + " " + message);
                    }

                    @Override
                    public Optional<byte[]> loadState(String key) {
                        return Optional.ofNullable(state.get(key));
                    }

                    @Override
                    public void storeState(String key, byte[] value) {
                        state.put(key, value);
                    }

                    @Override
                    public void removeState(String key) {
                        state.remove(key);
                    }
                });
        controllers.add(driver);
        driver.start();
        return driver;
    }

    ModemController start() {
        return start(settings());
    }

    LinkSnapshot await(Predicate<LinkSnapshot> condition, String what) throws InterruptedException {
        long end = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < end) {
            LinkSnapshot s = driver.snapshot();
            if (condition.test(s)) {
                return s;
            }
            Thread.sleep(25);
        }
        throw new AssertionError("not within " + WAIT.toSeconds() + " s: " + what + "; last snapshot:\n"
                + driver.snapshot().describe() + "events: " + events + "\nlog tail: "
                + logs.subList(Math.max(0, logs.size() - 15), logs.size()));
    }

    LinkSnapshot awaitState(LinkState state) throws InterruptedException {
        return await(s -> s.state() == state, "link " + state);
    }

    Event awaitEvent(String code) throws InterruptedException {
        long end = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < end) {
            for (Event e : events) {
                if (e.code().equals(code)) {
                    return e;
                }
            }
            Thread.sleep(25);
        }
        throw new AssertionError("no event " + code + " within " + WAIT.toSeconds() + " s; events: " + events);
    }

    List<Event> events(String code) {
        return events.stream().filter(e -> e.code().equals(code)).toList();
    }

    void stopDriver() {
        if (driver != null) {
            driver.close();
        }
    }

    @Override
    public void close() {
        for (ModemController c : controllers) {
            c.close();
        }
        modem.close();
        pty.close();
    }
}
