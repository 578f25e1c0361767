package org.modhub.gprs.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.Severity;
import org.modhub.api.wan.LinkState;
import org.modhub.gprs.internal.at.AtErrorException;
import org.modhub.gprs.internal.at.AtException;
import org.modhub.gprs.internal.at.AtLinkException;
import org.modhub.gprs.internal.at.AtProtocolException;
import org.modhub.gprs.internal.at.AtResponses;
import org.modhub.gprs.internal.at.AtResponses.SimState;
import org.modhub.gprs.internal.at.AtSession;
import org.modhub.gprs.internal.at.AtTimeoutException;
import org.modhub.gprs.internal.at.CmeErrorException;
import org.modhub.gprs.internal.at.RegStatus;
import org.modhub.gprs.internal.at.Registration;
import org.modhub.gprs.internal.at.SerialLine;

/**
 * Drives one modem through 3GPP TS 27.007 and derives the link state from it: SIM and PIN, packet
 * domain registration ({@code +CGREG}/{@code +CEREG}, with unsolicited codes), signal, operator, and
 * the PDP context. UP when registered and the context is active; DEGRADED when in addition roaming or
 * below the signal threshold; CONNECTING while searching or activating; DOWN otherwise.
 *
 * <p>All modem work runs on one thread, a poll cycle every poll interval and at once after an
 * unsolicited registration change. Every command has a timeout; after the configured number of
 * commands in a row without an answer the reset sequence runs ({@code AT}, {@code ATZ},
 * {@code AT+CFUN=1,1}, reopen the port) and an event is logged. A PIN the SIM refused is remembered
 * (as a hash, through the host's durable state) and never tried again, so the driver cannot talk the
 * SIM into its PUK lock.
 */
public final class ModemController implements AutoCloseable {
    /** What the controller needs from its environment. Calls come from the controller's threads. */
    public interface Host {
        /** The snapshot changed (state, reason, signal, ...). */
        void changed(LinkSnapshot snapshot);

        /** A hub event; must not block. */
        void event(EventKind kind, String code, Severity severity, String detail);

        void log(Severity level, String message);

        Optional<byte[]> loadState(String key);

        void storeState(String key, byte[] value);

        void removeState(String key);
    }

    /** Opens the serial line. */
    @FunctionalInterface
    public interface LineOpener {
        SerialLine open(GprsSettings settings) throws IOException;
    }

    static final String PIN_REFUSED_KEY = "pin.refused";
    static final int MAX_LINE = 1024;
    private static final long MAX_RESET_BACKOFF_MS = 10 * 60_000L;

    private final GprsSettings settings;
    private final LineOpener opener;
    private final Host host;
    private final ScheduledExecutorService exec;
    private final EventLimiter limiter = new EventLimiter(30_000);
    private final Set<String> raised = new HashSet<>();
    private final Map<String, Registration> registrations = new HashMap<>();

    // all below only touched on the controller thread
    private AtSession session;
    private boolean initialised;
    private boolean ceregSupported = true;
    private boolean pinRefused;
    private boolean contextDefined;
    private boolean pdpActive;
    private Optional<String> pdpAddress = Optional.empty();
    private String pdpFailure = "";
    private OptionalInt signalDbm = OptionalInt.empty();
    private Optional<String> operator = Optional.empty();
    private Optional<SimState> sim = Optional.empty();
    private Optional<String> imei = Optional.empty();
    private int silentCount;
    private int consecutiveResets;
    private int resets;
    private long reopenNotBefore;
    private String downReason = "starting";
    private ScheduledFuture<?> next;
    private long nextAt = Long.MAX_VALUE;
    private volatile long garbageLines;
    private volatile boolean closed;
    private volatile LinkSnapshot snapshot = LinkSnapshot.initial();

    public ModemController(GprsSettings settings, LineOpener opener, Host host) {
        this.settings = settings;
        this.opener = opener;
        this.host = host;
        ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "modhub-gprs-link");
            t.setDaemon(true);
            return t;
        });
        e.setRemoveOnCancelPolicy(true);
        e.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.exec = e;
    }

    public void start() {
        request(0);
    }

    public LinkSnapshot snapshot() {
        return snapshot;
    }

    public GprsSettings settings() {
        return settings;
    }

    /** Stops polling, interrupts a waiting command and closes the port; returns within seconds. */
    @Override
    public void close() {
        closed = true;
        exec.shutdownNow();
        try {
            if (!exec.awaitTermination(5, TimeUnit.SECONDS)) {
                host.log(Severity.WARNING, "modem thread did not stop within 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        AtSession s = session;
        session = null;
        if (s != null) {
            s.close();
        }
    }

    // ------------------------------------------------------------------ scheduling

    /** Runs a cycle after {@code delayMs} unless one is due sooner. Any thread. */
    private void request(long delayMs) {
        submit(() -> schedule(delayMs));
    }

    private void submit(Runnable r) {
        if (closed) {
            return;
        }
        try {
            exec.execute(r);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    /** Controller thread only. */
    private void schedule(long delayMs) {
        long at = System.currentTimeMillis() + delayMs;
        if (next != null && !next.isDone() && nextAt <= at) {
            return;
        }
        if (next != null) {
            next.cancel(false);
        }
        nextAt = at;
        try {
            next = exec.schedule(this::cycle, delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    // ------------------------------------------------------------------ the poll cycle

    private void cycle() {
        next = null;
        nextAt = Long.MAX_VALUE;
        if (closed) {
            return;
        }
        long delay = settings.pollIntervalMs();
        try {
            if (session == null || !session.isOpen()) {
                long wait = reopenNotBefore - System.currentTimeMillis();
                if (wait > 0) {
                    schedule(wait);
                    return;
                }
                if (!open()) {
                    schedule(settings.pollIntervalMs());
                    return;
                }
            }
            if (!initialised) {
                initialise();
            }
            if (sim()) {
                registration();
                signal();
                if (packetRegistration().registered()) {
                    operator();
                    pdp();
                } else {
                    pdpDown();
                }
            }
            evaluate();
        } catch (AtTimeoutException e) {
            delay = silent(e);
        } catch (AtLinkException e) {
            if (closed || Thread.currentThread().isInterrupted()) {
                return;
            }
            lineLost(e.getMessage());
            delay = Math.min(settings.pollIntervalMs(), 1000);
        } catch (AtProtocolException e) {
            garbageAnswer(e);
            delay = Math.min(settings.pollIntervalMs(), 1000);
        } catch (AtException e) {
            host.log(Severity.WARNING, "modem command failed: " + e.getMessage());
            evaluate();
        } catch (RuntimeException e) {
            host.log(Severity.ERROR, "modem poll cycle failed: " + e);
        }
        if (!closed) {
            schedule(delay);
        }
    }

    private boolean open() {
        try {
            SerialLine line = opener.open(settings);
            line.flush();
            session = new AtSession(line, new Listener(), MAX_LINE).start();
            initialised = false;
            clear("GPRS_PORT_UNAVAILABLE");
            host.log(Severity.INFO, "opened modem port " + settings.port());
            return true;
        } catch (IOException | RuntimeException e) {
            forget();
            downReason = "serial port " + settings.port() + " unavailable: " + e.getMessage();
            raise("GPRS_PORT_UNAVAILABLE", Severity.WARNING, downReason);
            publish(LinkState.DOWN, downReason);
            return false;
        }
    }

    private void initialise() throws AtException {
        registrations.clear();
        contextDefined = false;
        pdpActive = false;
        pdpAddress = Optional.empty();
        exec("ATE0"); // the echo of this one is dropped by the session
        exec("AT+CMEE=1");
        exec("AT+CREG=2");
        exec("AT+CGREG=2");
        try {
            exec("AT+CEREG=2");
            ceregSupported = true;
        } catch (AtErrorException | CmeErrorException e) {
            ceregSupported = false; // a 2G/3G modem
        }
        try {
            imei = Optional.of(AtResponses.plain(exec("AT+CGSN"), "\\d{14,17}", "IMEI"));
        } catch (AtErrorException | CmeErrorException | AtProtocolException e) {
            host.log(Severity.DEBUG, "no IMEI: " + e.getMessage());
        }
        initialised = true;
        host.log(Severity.INFO, "modem on " + settings.port() + " initialised" + imei.map(i -> ", IMEI " + i).orElse(""));
    }

    /** Whether the SIM is ready; enters the PIN once when asked for it. */
    private boolean sim() throws AtException {
        SimState state;
        try {
            state = AtResponses.cpin(exec("AT+CPIN?"));
        } catch (CmeErrorException e) {
            sim = Optional.of(SimState.OTHER);
            String why = switch (e.code()) {
                case CmeErrorException.SIM_NOT_INSERTED -> "no SIM inserted";
                case CmeErrorException.SIM_FAILURE -> "SIM failure";
                case CmeErrorException.SIM_PUK_REQUIRED -> "SIM blocked: PUK required";
                default -> "SIM not usable: " + e.getMessage();
            };
            raise("GPRS_SIM_UNUSABLE", Severity.ERROR, why);
            downReason = why;
            return false;
        }
        sim = Optional.of(state);
        switch (state) {
            case READY:
                clear("GPRS_SIM_UNUSABLE");
                clear("GPRS_PIN_MISSING");
                if (pinRefused) {
                    pinRefused = false;
                }
                return true;
            case SIM_PIN:
                enterPin();
                return false;
            case SIM_PUK:
            case SIM_PUK2:
                downReason = "SIM blocked: PUK required";
                raise("GPRS_SIM_UNUSABLE", Severity.CRITICAL, downReason);
                return false;
            default:
                downReason = "SIM not ready: " + state;
                raise("GPRS_SIM_UNUSABLE", Severity.ERROR, downReason);
                return false;
        }
    }

    private void enterPin() throws AtException {
        if (settings.pin().isEmpty()) {
            downReason = "the SIM requires a PIN and none is configured";
            raise("GPRS_PIN_MISSING", Severity.ERROR, downReason);
            return;
        }
        String hash = pinHash(settings.pin());
        if (!pinRefused) {
            Optional<byte[]> stored = host.loadState(PIN_REFUSED_KEY);
            pinRefused = stored.isPresent() && new String(stored.get(), StandardCharsets.US_ASCII).equals(hash);
        }
        if (pinRefused) {
            downReason = "the SIM refused the configured PIN; not tried again until the PIN is changed "
                    + "(another wrong PIN brings the SIM closer to its PUK lock)";
            return;
        }
        try {
            exec("AT+CPIN=\"" + settings.pin() + "\"");
            host.log(Severity.INFO, "SIM PIN accepted");
            host.removeState(PIN_REFUSED_KEY);
            downReason = "PIN accepted, waiting for the SIM";
            schedule(Math.min(settings.pollIntervalMs(), 500));
        } catch (CmeErrorException | AtErrorException e) {
            pinRefused = true;
            host.storeState(PIN_REFUSED_KEY, hash.getBytes(StandardCharsets.US_ASCII));
            downReason = "the SIM refused the configured PIN (" + e.getMessage()
                    + "); not tried again until the PIN is changed";
            host.event(EventKind.AUDIT, "GPRS_PIN_REFUSED", Severity.ERROR, downReason);
            host.log(Severity.ERROR, downReason);
        }
    }

    private String pinHash(String pin) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] h = md.digest(("modhub-gprs-pin\0" + settings.port() + "\0" + pin).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void registration() throws AtException {
        put(Registration.parseAnswer(AtResponses.line(exec("AT+CREG?"), "+CREG:")));
        put(Registration.parseAnswer(AtResponses.line(exec("AT+CGREG?"), "+CGREG:")));
        if (ceregSupported) {
            try {
                put(Registration.parseAnswer(AtResponses.line(exec("AT+CEREG?"), "+CEREG:")));
            } catch (AtErrorException | CmeErrorException e) {
                ceregSupported = false;
                registrations.remove("CEREG");
            }
        }
    }

    private void put(Registration r) {
        registrations.put(r.domain(), r);
    }

    /** The packet-domain registration: EPS if registered there, else GPRS; the best of both otherwise. */
    private RegStatus packetRegistration() {
        Registration eps = registrations.get("CEREG");
        Registration gprs = registrations.get("CGREG");
        if (eps != null && eps.status().registered()) {
            return eps.status();
        }
        if (gprs != null && gprs.status().registered()) {
            return gprs.status();
        }
        for (RegStatus s : new RegStatus[] {RegStatus.SEARCHING, RegStatus.DENIED}) {
            if ((eps != null && eps.status() == s) || (gprs != null && gprs.status() == s)) {
                return s;
            }
        }
        if (eps == null && gprs == null) {
            return RegStatus.UNKNOWN;
        }
        return eps != null ? eps.status() : gprs.status();
    }

    private OptionalInt accessTechnology() {
        for (String d : new String[] {"CEREG", "CGREG", "CREG"}) {
            Registration r = registrations.get(d);
            if (r != null && r.status().registered() && r.accessTechnology().isPresent()) {
                return r.accessTechnology();
            }
        }
        return OptionalInt.empty();
    }

    private void signal() throws AtException {
        signalDbm = AtResponses.csq(exec("AT+CSQ")).dbm();
    }

    private void operator() throws AtException {
        try {
            operator = AtResponses.cops(exec("AT+COPS?")).name();
        } catch (AtErrorException | CmeErrorException e) {
            operator = Optional.empty();
        }
    }

    private void pdp() throws AtException {
        int cid = settings.cid();
        if (!contextDefined) {
            Map<Integer, String> defined = AtResponses.cgdcont(exec("AT+CGDCONT?"));
            String apn = defined.get(cid);
            if (apn == null || (!settings.apn().isEmpty() && !apn.equalsIgnoreCase(settings.apn()))) {
                if (apn != null) {
                    try {
                        exec("AT+CGACT=0," + cid, settings.pdpTimeoutMs());
                    } catch (AtErrorException | CmeErrorException e) {
                        host.log(Severity.DEBUG, "deactivating context " + cid + ": " + e.getMessage());
                    }
                }
                exec("AT+CGDCONT=" + cid + ",\"" + settings.pdpType() + "\",\"" + settings.apn() + "\"");
                host.log(Severity.INFO, "PDP context " + cid + " defined, APN '" + settings.apn() + "'");
            }
            contextDefined = true;
        }
        Boolean active = AtResponses.cgact(exec("AT+CGACT?")).get(cid);
        if (!Boolean.TRUE.equals(active)) {
            pdpActive = false;
            pdpAddress = Optional.empty();
            try {
                exec("AT+CGACT=1," + cid, settings.pdpTimeoutMs());
                clear("GPRS_PDP_FAILED");
                pdpFailure = "";
            } catch (AtErrorException | CmeErrorException e) {
                pdpFailure = "PDP context " + cid + " activation failed: " + e.getMessage();
                raise("GPRS_PDP_FAILED", Severity.WARNING, pdpFailure);
                return;
            }
        }
        pdpAddress = AtResponses.cgpaddr(exec("AT+CGPADDR=" + cid), cid);
        pdpActive = true;
    }

    /** Drops what the modem told us: after a reset or a lost port none of it is known any more. */
    private void forget() {
        registrations.clear();
        sim = Optional.empty();
        signalDbm = OptionalInt.empty();
        pdpDown();
    }

    private void pdpDown() {
        pdpActive = false;
        pdpAddress = Optional.empty();
        operator = Optional.empty();
    }

    /** Derives the link state from what is known and publishes it. */
    private void evaluate() {
        if (session == null) {
            publish(LinkState.DOWN, downReason);
            return;
        }
        if (sim.isEmpty() || sim.get() != SimState.READY) {
            publish(LinkState.DOWN, downReason);
            return;
        }
        RegStatus reg = packetRegistration();
        String op = operator.map(o -> " on " + o).orElse("");
        if (!reg.registered()) {
            clearIf(reg != RegStatus.DENIED, "GPRS_REGISTRATION_DENIED");
            switch (reg) {
                case SEARCHING -> publish(LinkState.CONNECTING, "searching for a network");
                case DENIED -> {
                    raise("GPRS_REGISTRATION_DENIED", Severity.WARNING, "the network denied registration");
                    publish(LinkState.DOWN, "registration denied");
                }
                default -> publish(LinkState.DOWN, reg.text() + csOnly());
            }
            return;
        }
        clear("GPRS_REGISTRATION_DENIED");
        if (!pdpActive) {
            publish(LinkState.CONNECTING, reg.text() + op + ", PDP context " + settings.cid() + " not active"
                    + (pdpFailure.isEmpty() ? "" : ": " + pdpFailure));
            return;
        }
        List<String> impaired = new ArrayList<>();
        if (reg.roaming() && settings.degradedWhenRoaming()) {
            impaired.add("roaming");
        }
        if (signalDbm.isPresent() && signalDbm.getAsInt() < settings.signalThresholdDbm()) {
            impaired.add("signal " + signalDbm.getAsInt() + " dBm below " + settings.signalThresholdDbm() + " dBm");
        }
        String tech = accessTechnology().isPresent() ? " (" + Registration.technologyName(accessTechnology().getAsInt()) + ")" : "";
        String base = reg.text() + op + tech + ", PDP context " + settings.cid() + " active"
                + pdpAddress.map(a -> " (" + a + ")").orElse("");
        if (impaired.isEmpty()) {
            publish(LinkState.UP, base);
        } else {
            publish(LinkState.DEGRADED, base + "; " + String.join(", ", impaired));
        }
    }

    private String csOnly() {
        Registration cs = registrations.get("CREG");
        return cs != null && cs.status().registered() ? " for packet data (" + cs.status().text() + " for circuit-switched)" : "";
    }

    // ------------------------------------------------------------------ failures

    /** A command timed out: count it; run the reset sequence once enough did in a row. */
    private long silent(AtTimeoutException e) {
        host.log(Severity.WARNING, e.getMessage() + " (" + silentCount + " in a row)");
        if (silentCount < settings.silentCommandsBeforeReset()) {
            return Math.min(settings.pollIntervalMs(), 1000);
        }
        return resetSequence(e.getMessage());
    }

    private long resetSequence(String lastFailure) {
        int silentCommands = silentCount;
        forget();
        downReason = "modem not answering";
        publish(LinkState.DOWN, downReason);
        List<String> steps = new ArrayList<>();
        boolean answered = false;
        for (String cmd : new String[] {"AT", "ATZ"}) {
            boolean ok = probe(cmd);
            steps.add(cmd + (ok ? " answered" : " no answer"));
            if (ok) {
                answered = true;
                if (cmd.equals("AT")) {
                    continue; // answered again: still reset the settings with ATZ
                }
                break;
            }
        }
        initialised = false;
        resets++;
        consecutiveResets++;
        long delay;
        if (answered) {
            steps.add("modem answers again; settings restored by ATZ, initialising again");
            delay = Math.min(settings.pollIntervalMs(), 1000);
        } else {
            boolean ok = probe("AT+CFUN=1,1");
            steps.add("AT+CFUN=1,1" + (ok ? " answered" : " no answer"));
            AtSession s = session;
            session = null;
            if (s != null) {
                s.close();
            }
            long backoff = Math.min(MAX_RESET_BACKOFF_MS,
                    (long) Math.max(settings.resetRecoveryMs(), 100) << Math.min(consecutiveResets - 1, 6));
            reopenNotBefore = System.currentTimeMillis() + backoff;
            steps.add("port closed, reopened in " + backoff + " ms");
            delay = backoff;
        }
        silentCount = 0;
        String detail = "modem on " + settings.port() + " did not answer " + silentCommands
                + " commands in a row (last: " + lastFailure + "); reset sequence: " + String.join("; ", steps);
        host.log(Severity.WARNING, detail);
        host.event(EventKind.EVENT, "GPRS_MODEM_RESET", Severity.WARNING, detail);
        publishSnapshot(snapshot.state(), snapshot.reason());
        return delay;
    }

    private boolean probe(String cmd) {
        AtSession s = session;
        if (s == null) {
            return false;
        }
        try {
            s.execute(cmd, settings.commandTimeoutMs());
            return true;
        } catch (AtErrorException | CmeErrorException e) {
            return true; // it answered
        } catch (AtException e) {
            return false;
        }
    }

    private void lineLost(String reason) {
        AtSession s = session;
        session = null;
        initialised = false;
        if (s != null) {
            s.close();
        }
        forget();
        downReason = "serial port " + settings.port() + " lost: " + reason;
        host.log(Severity.WARNING, downReason);
        publish(LinkState.DOWN, downReason);
    }

    private void garbageAnswer(AtProtocolException e) {
        host.log(Severity.WARNING, "unusable answer from the modem: " + e.getMessage());
        if (!e.reported()) {
            garbage("malformed answer: " + e.getMessage());
        }
    }

    private void garbage(String description) {
        garbageLines++;
        String detail = limiter.admit("GPRS_GARBAGE", description);
        if (detail != null) {
            host.event(EventKind.EVENT, "GPRS_GARBAGE", Severity.WARNING, "modem on " + settings.port() + ": " + detail);
        }
        publishSnapshot(snapshot.state(), snapshot.reason());
    }

    // ------------------------------------------------------------------ commands

    private List<String> exec(String command) throws AtException {
        return exec(command, settings.commandTimeoutMs());
    }

    private List<String> exec(String command, long timeoutMs) throws AtException {
        AtSession s = session;
        if (s == null) {
            throw new AtLinkException("port not open");
        }
        try {
            List<String> answer = s.execute(command, timeoutMs);
            answered();
            return answer;
        } catch (AtTimeoutException e) {
            silentCount++;
            throw e;
        } catch (AtErrorException | CmeErrorException | AtProtocolException e) {
            answered();
            throw e;
        }
    }

    private void answered() {
        silentCount = 0;
        consecutiveResets = 0;
    }

    // ------------------------------------------------------------------ unsolicited codes

    private final class Listener implements AtSession.Listener {
        @Override
        public void urc(String line) {
            submit(() -> onUrc(line));
        }

        @Override
        public void unexpected(String line) {
            if (line.matches("[+^$#%][A-Za-z0-9_]+:.*") || line.matches("[A-Z][A-Z0-9 _-]*")) {
                host.log(Severity.DEBUG, "ignored unsolicited line from the modem: " + line);
            } else {
                submit(() -> garbage("unexpected line '" + line + "'"));
            }
        }

        @Override
        public void garbage(String description) {
            submit(() -> ModemController.this.garbage(description));
        }

        @Override
        public void lineFailed(String reason) {
            submit(() -> {
                if (session != null && !session.isOpen()) {
                    lineLost(reason);
                    schedule(Math.min(settings.pollIntervalMs(), 1000));
                }
            });
        }
    }

    private void onUrc(String line) {
        if (closed) {
            return;
        }
        if (line.startsWith("+CREG:") || line.startsWith("+CGREG:") || line.startsWith("+CEREG:")) {
            Registration r;
            try {
                r = Registration.parseUnsolicited(line);
            } catch (AtProtocolException e) {
                garbage("malformed unsolicited code: " + e.getMessage());
                return;
            }
            Registration before = registrations.put(r.domain(), r);
            host.log(Severity.INFO, "modem reports " + r.domain() + " " + r.status().text()
                    + r.accessTechnology().stream().mapToObj(a -> " (" + Registration.technologyName(a) + ")")
                            .findFirst().orElse(""));
            if (!packetRegistration().registered()) {
                pdpDown(); // the network detached us: no context survives
            }
            if (before == null || before.status() != r.status()) {
                if (initialised && sim.isPresent() && sim.get() == SimState.READY) {
                    evaluate();
                }
                schedule(0); // re-read everything and (re)activate the context
            }
        } else if (line.equals("RDY") || line.startsWith("+CPIN:") || line.startsWith("+CFUN:")) {
            host.log(Severity.INFO, "modem reports " + line);
            schedule(0);
        } else {
            host.log(Severity.DEBUG, "unsolicited: " + line);
        }
    }

    // ------------------------------------------------------------------ state and events

    private void publish(LinkState state, String reason) {
        LinkState before = snapshot.state();
        publishSnapshot(state, reason);
        if (before != state) {
            Severity sev = state == LinkState.DOWN ? Severity.WARNING : Severity.INFO;
            String detail = before + " -> " + state + ": " + reason;
            host.log(sev, "link " + detail);
            host.event(EventKind.EVENT, "GPRS_LINK_STATE", sev, detail);
        }
    }

    private void publishSnapshot(LinkState state, String reason) {
        LinkSnapshot old = snapshot;
        Instant since = old.state() == state ? old.since() : Instant.now();
        Optional<RegStatus> reg = registrations.isEmpty() ? Optional.empty() : Optional.of(packetRegistration());
        LinkSnapshot s = new LinkSnapshot(state, reason, since, sim, reg, accessTechnology(), signalDbm, operator,
                pdpAddress, imei, resets, garbageLines);
        snapshot = s;
        if (!s.sameAs(old)) {
            try {
                host.changed(s);
            } catch (RuntimeException e) {
                host.log(Severity.WARNING, "publishing the link state failed: " + e);
            }
        }
    }

    /** Logs an event for a condition once, until it clears. */
    private void raise(String code, Severity severity, String detail) {
        if (raised.add(code)) {
            host.event(EventKind.EVENT, code, severity, detail);
            host.log(severity, detail);
        }
    }

    private void clear(String code) {
        raised.remove(code);
    }

    private void clearIf(boolean condition, String code) {
        if (condition) {
            clear(code);
        }
    }

    /** Per-code rate limit: the first event at once, then at most one per interval with a count of the rest. */
    static final class EventLimiter {
        private final java.util.function.LongSupplier clock;

        private final long intervalMs;
        private final Map<String, long[]> state = new HashMap<>(); // code → {last logged millis, suppressed}

        EventLimiter(long intervalMs) {
            this(intervalMs, System::currentTimeMillis);
        }

        EventLimiter(long intervalMs, java.util.function.LongSupplier clock) {
            this.intervalMs = intervalMs;
            this.clock = clock;
        }

        /** The detail to log now, or null if suppressed. */
        synchronized String admit(String code, String detail) {
            long now = clock.getAsLong();
            long[] s = state.computeIfAbsent(code, k -> new long[] {Long.MIN_VALUE / 2, 0});
            if (now - s[0] >= intervalMs) {
                String out = s[1] > 0 ? detail + " (" + s[1] + " similar suppressed)" : detail;
                s[0] = now;
                s[1] = 0;
                return out;
            }
            s[1]++;
            return null;
        }
    }
}
