package org.modhub.gprs.emulator.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

/**
 * Dev-variant shell commands (scope {@code gprsemu}) that put an emulated modem behind the real
 * cellular link: {@code gprsemu:start} makes a socat pty pair, runs a {@link ModemEmulator} on one
 * end and configures the link (PID {@value #LINK_PID}) on the other; {@code network}, {@code signal},
 * {@code behaviour}, {@code pin} and {@code urc} script the modem; {@code gprsemu:stop} undoes it all.
 * Does nothing until started, so the hub reaches READY and UP without it.
 */
@Component(service = DevModemShell.class, immediate = true, property = {"osgi.command.scope=gprsemu",
    "osgi.command.function=start", "osgi.command.function=stop", "osgi.command.function=network",
    "osgi.command.function=signal", "osgi.command.function=behaviour", "osgi.command.function=pin",
    "osgi.command.function=urc", "osgi.command.function=received"})
public final class DevModemShell {
    static final String LINK_PID = "org.modhub.wan.gprs";
    /** Marks the link configurations this shell creates. */
    static final String MARKER = "modhub.emulated.modem";

    private final ConfigurationAdmin cm;
    private final Logger log;
    private Path dir;
    private Process socat;
    private ModemEmulator modem;
    private Configuration config;

    @Activate
    public DevModemShell(@Reference ConfigurationAdmin cm, @Reference(service = LoggerFactory.class) Logger log) {
        this.cm = cm;
        this.log = log;
        removeStaleConfigurations();
    }

    /**
     * A hub killed while the emulated modem ran keeps the link's configuration (it is persisted), but the
     * pty it names is gone: delete configurations this shell made, so the link does not start DOWN.
     */
    private void removeStaleConfigurations() {
        try {
            Configuration[] stale = cm.listConfigurations("(&(service.pid=" + LINK_PID + ")(" + MARKER + "=true))");
            if (stale != null) {
                for (Configuration c : stale) {
                    log.info("deleting the configuration of {} left by an earlier emulated modem", LINK_PID);
                    c.delete();
                }
            }
        } catch (IOException | org.osgi.framework.InvalidSyntaxException | RuntimeException e) {
            log.warn("could not look for stale configurations of {}: {}", LINK_PID, e.toString());
        }
    }

    @Deactivate
    synchronized void deactivate() {
        stop();
    }

    /** Starts socat and the emulated modem and configures the cellular link on the hub's end. */
    public synchronized String start() throws IOException, InterruptedException {
        if (modem != null) {
            return "already running: modem on " + dir.resolve("modem") + ", link on " + dir.resolve("hub");
        }
        Path d = Files.createTempDirectory("modhub-gprs-emulator");
        Path modemEnd = d.resolve("modem");
        Path hubEnd = d.resolve("hub");
        Process p;
        try {
            p = new ProcessBuilder("socat", "-d", "-d", "pty,raw,echo=0,link=" + modemEnd + ",mode=666",
                    "pty,raw,echo=0,link=" + hubEnd + ",mode=666").redirectErrorStream(true)
                    .redirectOutput(d.resolve("socat.log").toFile()).start();
        } catch (IOException e) {
            delete(d);
            return "cannot start socat (apt-get install -y socat): " + e.getMessage();
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!(Files.exists(modemEnd) && Files.exists(hubEnd))) {
            if (!p.isAlive() || System.nanoTime() > end) {
                p.destroyForcibly();
                delete(d);
                return "socat made no pty pair within 10 s";
            }
            Thread.sleep(20);
        }
        try {
            modem = new ModemEmulator(modemEnd.toString());
        } catch (IOException e) {
            p.destroyForcibly();
            delete(d);
            return "cannot open the modem end: " + e.getMessage();
        }
        dir = d;
        socat = p;
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("port", hubEnd.toString());
        props.put("apn", "iot.modhub");
        props.put("pollIntervalMs", 2000);
        props.put("commandTimeoutMs", 3000);
        props.put("resetRecoveryMs", 2000);
        props.put(MARKER, Boolean.TRUE);
        config = cm.getConfiguration(LINK_PID, "?");
        config.update(props);
        log.info("emulated modem on {}; cellular link configured on {}", modemEnd, hubEnd);
        return "emulated modem on " + modemEnd + "; " + LINK_PID + " configured on " + hubEnd
                + "\nwatch it with gprs:status; script it with gprsemu:network|signal|behaviour|pin|urc";
    }

    /** Deletes the link's configuration, stops the modem and socat. */
    public synchronized String stop() {
        if (modem == null) {
            return "not running";
        }
        try {
            config.delete();
        } catch (IOException | IllegalStateException e) {
            log.warn("could not delete the configuration of {}: {}", LINK_PID, e.toString());
        }
        modem.close();
        socat.destroy();
        try {
            if (!socat.waitFor(5, TimeUnit.SECONDS)) {
                socat.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            socat.destroyForcibly();
        }
        delete(dir);
        modem = null;
        socat = null;
        config = null;
        dir = null;
        return "stopped; " + LINK_PID + " configuration deleted";
    }

    /** Sets what the network offers: HOME, ROAMING, SEARCHING, DENIED, NONE or UNKNOWN. */
    public synchronized String network(String network) {
        running().network(ModemEmulator.Network.valueOf(network.toUpperCase(Locale.ROOT)));
        return "network " + network.toUpperCase(Locale.ROOT);
    }

    /** Sets the +CSQ rssi: 0..31 (dBm = -113 + 2 rssi) or 99 (unknown). */
    public synchronized String signal(int rssi) {
        running().signal(rssi);
        return "rssi " + rssi + (rssi == 99 ? " (unknown)" : " (" + (-113 + 2 * rssi) + " dBm)");
    }

    /** NORMAL, GARBAGE, SILENT or HUNG_UNTIL_RESET. */
    public synchronized String behaviour(String behaviour) {
        running().behaviour(ModemEmulator.Behaviour.valueOf(behaviour.toUpperCase(Locale.ROOT)));
        return "behaviour " + behaviour.toUpperCase(Locale.ROOT);
    }

    /** Makes the SIM require this PIN (asked for from now on and after every reboot). */
    public synchronized String pin(String pin) {
        running().requirePin(pin);
        return "SIM PIN required";
    }

    /** Sends one line as an unsolicited result code, e.g. "+CREG: 5". */
    public synchronized String urc(String line) {
        running().sendLine(line);
        return "sent " + line;
    }

    /** The commands the modem received, oldest first (at most the last 50). */
    public synchronized String received() {
        java.util.List<String> all = running().received();
        return String.join("\n", all.subList(Math.max(0, all.size() - 50), all.size()));
    }

    private ModemEmulator running() {
        if (modem == null) {
            throw new IllegalStateException("not running: gprsemu:start first");
        }
        return modem;
    }

    private static void delete(Path d) {
        if (d == null) {
            return;
        }
        try (Stream<Path> s = Files.walk(d)) {
            s.sorted(Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        } catch (IOException e) {
            // a temporary folder: leave it
        }
    }
}
