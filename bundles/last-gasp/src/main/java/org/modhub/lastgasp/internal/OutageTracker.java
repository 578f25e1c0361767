package org.modhub.lastgasp.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.random.RandomGenerator;
import org.modhub.api.event.Severity;
import org.modhub.api.messaging.Envelope;
import org.modhub.api.messaging.MessageType;
import org.modhub.api.messaging.OutboundMessage;
import org.modhub.api.messaging.PreparedAlert;
import org.modhub.api.power.PowerState;
import org.modhub.api.power.PowerStatus;
import org.modhub.lastgasp.internal.OutageAlertPayload.Kind;
import org.modhub.lastgasp.internal.OutageRecord.Phase;

/**
 * The outage state machine of one hub, free of OSGi so that it can be tested with a manual clock and
 * run a hundred times side by side.
 *
 * <ul>
 * <li>Mains lost: the record is persisted at once, the power-outage alert is built and prepared by the
 * router right away ({@link Sink#prepare}: counter reserved for the due time, signed when the hub has
 * a signer), and a qualification timer starts. If power is still off when it expires, the prepared
 * alert is handed to the router at the highest priority and leaves as prepared: the only work left on
 * the expiry path is the outbox's fast hand-over to the session and its commit.</li>
 * <li>Power back before qualification: the record stays open for the flap window; a loss within it
 * continues the same record (flaps coalesced). When the window closes, one short-outage event is
 * logged.</li>
 * <li>Every closed record leads to one restore alert (short or long code) after a random delay within
 * the configured window, from this tracker's own random source, so a street of hubs does not alert at
 * once.</li>
 * <li>Every step is persisted: after a restart {@link #start} continues where the record was, and a
 * hub that went down during the outage (stored energy exhausted) reports the restore when it comes
 * back.</li>
 * </ul>
 *
 * <p>Thread-safe: power changes and timers are serialised on this object.
 */
public final class OutageTracker {
    static final int OUTAGE_PRIORITY = OutboundMessage.PRIORITY_HIGHEST;
    static final int RESTORE_PRIORITY = 1;
    static final Duration ALERT_RETRY = Duration.ofSeconds(5);
    static final Duration BOOKKEEPING_DELAY = Duration.ofMillis(100);

    /** Event codes this tracker logs. */
    public static final String POWER_LOST = "POWER_LOST";
    public static final String POWER_OUTAGE_ALERT = "POWER_OUTAGE_ALERT";
    public static final String POWER_OUTAGE_QUALIFIED = "POWER_OUTAGE_QUALIFIED";
    public static final String POWER_OUTAGE_SHORT = "POWER_OUTAGE_SHORT";
    public static final String POWER_RESTORED = "POWER_RESTORED";
    public static final String POWER_RESTORE_ALERT = "POWER_RESTORE_ALERT";
    public static final String POWER_OUTAGE_RESUMED = "POWER_OUTAGE_RESUMED";
    public static final String POWER_RESTORED_WHILE_DOWN = "POWER_RESTORED_WHILE_DOWN";
    public static final String POWER_ALERT_FAILED = "POWER_ALERT_FAILED";
    public static final String POWER_RECORD_UNREADABLE = "POWER_RECORD_UNREADABLE";

    /** Where the tracker's effects go: StateStore, EventLog and MessageRouter in the hub. */
    public interface Sink {
        void persist(OutageRecord record);

        void clear();

        void event(String code, Severity severity, String detail);

        /** Queues an alert; durable when it returns; throws if it could not be queued. */
        void alert(Envelope alert, int priority);

        /**
         * Prepares an alert to be sent at {@code due} exactly as prepared (the router stamps its
         * counter and signs it now); null when nothing can be prepared, then {@link #alert} is used.
         */
        default PreparedAlert prepare(Envelope alert, Instant due) {
            return null;
        }

        /** Queues a prepared alert; durable when it returns; throws if it could not be queued. */
        default void alert(PreparedAlert prepared, int priority) {
            alert(prepared.envelope(), priority);
        }
    }

    private final Scheduler scheduler;
    private final RandomGenerator random;
    private final Sink sink;
    private final UnaryOperator<Envelope> signer;
    private Settings settings;

    private PowerState known;
    private OutageRecord record;
    private Envelope preparedOutageAlert;
    private PreparedAlert preparedWire;
    private Scheduler.Cancellable timer;
    private long generation;
    private boolean stopped;
    private Runnable pendingBookkeeping;

    /**
     * @param signer applied to every alert when it is built (ahead of time for the power-outage
     *        alert); the identity until the hub has a signing service
     */
    public OutageTracker(Settings settings, Scheduler scheduler, RandomGenerator random, Sink sink,
            UnaryOperator<Envelope> signer) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.random = Objects.requireNonNull(random, "random");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.signer = signer == null ? UnaryOperator.identity() : signer;
    }

    /**
     * Starts from the persisted record (if any) and the monitor's state at start.
     *
     * @param processStart when this hub process started: the best estimate of when power came back
     *        if the hub went down during an outage
     */
    public synchronized void start(PowerStatus initial, Optional<OutageRecord> stored, Instant processStart) {
        Instant now = scheduler.now();
        known = initial.state();
        if (stored.isEmpty()) {
            if (initial.state() == PowerState.OFF) {
                lost(initial.since());
            }
            return;
        }
        record = stored.get();
        switch (record.phase()) {
            case OFF -> {
                if (initial.state() == PowerState.OFF) {
                    sink.event(POWER_OUTAGE_RESUMED, Severity.WARNING, "hub restarted during the outage that began "
                            + record.offSince() + "; still off");
                    armQualification(now);
                } else {
                    Instant restoredAt = max(record.offSince(), min(processStart, initial.since()));
                    long off = restoredAt.toEpochMilli() - record.offSince().toEpochMilli();
                    sink.event(POWER_RESTORED_WHILE_DOWN, Severity.WARNING, "power came back while the hub was down: "
                            + "off since " + record.offSince() + ", back by " + restoredAt + " (estimated from process start"
                            + "), " + off + " ms off" + (record.outageAlertSent() ? "" : "; power-outage alert was not sent"));
                    restored(restoredAt);
                }
            }
            case RESTORED -> {
                if (initial.state() == PowerState.OFF) {
                    lost(initial.since());
                } else {
                    arm(record.lastRestore().plus(settings.flapWindow()), this::closeShort);
                }
            }
            case ALERT_PENDING -> {
                if (initial.state() == PowerState.OFF) {
                    lost(initial.since());
                } else {
                    arm(record.alertDue(), this::sendRestoreAlert);
                }
            }
        }
    }

    /** A state reported by the power monitor; the same state again is ignored. */
    public synchronized void observe(PowerStatus status) {
        if (stopped || status.state() == known) {
            return;
        }
        known = status.state();
        if (status.state() == PowerState.OFF) {
            lost(status.since());
        } else {
            restored(status.since());
        }
    }

    /** Applies new settings; a prepared alert is rebuilt and a running qualification re-armed. */
    public synchronized void reconfigure(Settings newSettings) {
        this.settings = Objects.requireNonNull(newSettings);
        if (record != null && record.phase() == Phase.OFF) {
            armQualification(scheduler.now());
        }
    }

    public synchronized void stop() {
        runBookkeeping();
        stopped = true;
        cancelTimer();
    }

    public synchronized Optional<OutageRecord> record() {
        return Optional.ofNullable(record);
    }

    /** The power-outage alert prepared for the current off period, if one is. */
    public synchronized Optional<Envelope> preparedOutageAlert() {
        return Optional.ofNullable(preparedOutageAlert);
    }

    // ---- transitions ----

    private void lost(Instant at) {
        runBookkeeping();
        Instant now = scheduler.now();
        if (record != null && record.phase() == Phase.ALERT_PENDING) {
            sendRestoreAlert(); // power went again before the restore alert's turn: it is still true, send it
        }
        if (record != null && record.phase() == Phase.RESTORED
                && !at.isAfter(record.lastRestore().plus(settings.flapWindow()))) {
            record = new OutageRecord(record.start(), Phase.OFF, at, record.lastRestore(), record.flaps() + 1,
                    record.offMillis(), record.outageAlertSent(), record.longOutage(), null);
            sink.persist(record);
        } else {
            if (record != null && record.phase() == Phase.RESTORED) {
                closeShort();
                if (record != null) { // its restore alert is pending: send it before the new outage
                    sendRestoreAlert();
                }
            }
            record = OutageRecord.lost(at);
            sink.persist(record);
            sink.event(POWER_LOST, Severity.WARNING, "mains lost at " + at
                    + (settings.reportOutages() ? "; power-outage alert after " + settings.qualification().toMillis()
                            + " ms if still off" : "; outage reporting disabled"));
        }
        armQualification(now);
    }

    /** Prepares the outage alert of the current off period and arms its timer (if not yet sent). */
    private void armQualification(Instant now) {
        if (record.outageAlertSent()) {
            preparedOutageAlert = null;
            preparedWire = null;
            cancelTimer();
            return;
        }
        Instant due = record.offSince().plus(settings.qualification());
        preparedOutageAlert = settings.reportOutages() ? buildOutageAlert(record, due) : null;
        preparedWire = null;
        if (preparedOutageAlert != null) {
            try {
                preparedWire = sink.prepare(preparedOutageAlert, due);
            } catch (RuntimeException e) {
                sink.event(POWER_ALERT_FAILED, Severity.WARNING, "power-outage alert could not be prepared ahead ("
                        + e.getMessage() + "); it is stamped and signed when sent");
            }
        }
        arm(due, this::qualificationExpired);
    }

    private Envelope buildOutageAlert(OutageRecord r, Instant due) {
        byte[] payload = new OutageAlertPayload(Kind.OUTAGE, r.start(), null, settings.qualification().toMillis(),
                r.flaps()).encode();
        return signer.apply(new Envelope(alertId(r.offSince(), "outage"), MessageType.ALERT, settings.hubId(), 0,
                settings.recipient(), due, settings.outageCode(), payload));
    }

    private String alertId(Instant key, String what) {
        return "power-" + settings.hubId().toHex() + "-" + key.toEpochMilli() + "-" + what;
    }

    /** The qualification timer's work; public so the benchmark can time exactly this path. */
    public void qualificationExpired() {
        Envelope alert;
        synchronized (this) {
            if (stopped || record == null || record.phase() != Phase.OFF || record.outageAlertSent()) {
                return;
            }
            alert = preparedOutageAlert;
            if (alert != null) {
                try {
                    if (preparedWire != null) {
                        sink.alert(preparedWire, OUTAGE_PRIORITY);
                    } else {
                        sink.alert(alert, OUTAGE_PRIORITY);
                    }
                } catch (RuntimeException e) {
                    sink.event(POWER_ALERT_FAILED, Severity.ERROR, "power-outage alert could not be queued ("
                            + e.getMessage() + "); retrying in " + ALERT_RETRY.toSeconds() + " s");
                    arm(scheduler.now().plus(ALERT_RETRY), this::qualificationExpired);
                    return;
                }
            }
            OutageRecord sent = new OutageRecord(record.start(), Phase.OFF, record.offSince(), record.lastRestore(),
                    record.flaps(), record.offMillis(), true, record.longOutage(), null);
            record = sent;
            preparedOutageAlert = null;
            preparedWire = null;
            String detail = "power off since " + sent.offSince() + " for " + settings.qualification().toMillis() + " ms"
                    + (alert != null ? "; power-outage alert " + alert.messageId() + " queued"
                            : "; not reported (outage reporting disabled)");
            String code = alert != null ? POWER_OUTAGE_ALERT : POWER_OUTAGE_QUALIFIED;
            // The alert is durable in the outbox; the record and the event are written a moment later so that
            // their commits do not compete with the alert's dispatch. A crash in between only means the
            // alert is queued again after restart under the same message id (the outbox ignores a queued
            // id, the head end de-duplicates a delivered one).
            pendingBookkeeping = () -> {
                if (record == sent) {
                    sink.persist(sent);
                }
                sink.event(code, Severity.CRITICAL, detail);
            };
            scheduler.schedule(BOOKKEEPING_DELAY, this::runBookkeeping);
        }
    }

    private synchronized void runBookkeeping() {
        Runnable r = pendingBookkeeping;
        pendingBookkeeping = null;
        if (r != null) {
            r.run();
        }
    }

    private void restored(Instant at) {
        runBookkeeping();
        if (record == null || record.phase() != Phase.OFF) {
            return; // ON after ON (e.g. a monitor rebound): nothing to close
        }
        long off = Math.max(0, at.toEpochMilli() - record.offSince().toEpochMilli());
        boolean isLong = record.longOutage() || off >= settings.longOutage().toMillis();
        preparedOutageAlert = null;
        preparedWire = null;
        record = new OutageRecord(record.start(), Phase.RESTORED, record.offSince(), at, record.flaps(),
                record.offMillis() + off, record.outageAlertSent(), isLong, null);
        if (record.outageAlertSent() || isLong || settings.flapWindow().isZero()) {
            sink.event(POWER_RESTORED, isLong ? Severity.WARNING : Severity.INFO, "mains back at " + at + " after "
                    + off + " ms off" + (isLong ? " (long outage)" : "") + summary(record));
            pendRestoreAlert();
        } else {
            sink.persist(record);
            arm(at.plus(settings.flapWindow()), this::closeShort);
        }
    }

    /** The flap window after a short outage closed without another loss: one record for all its flaps. */
    private void closeShort() {
        if (record == null || record.phase() != Phase.RESTORED) {
            return;
        }
        sink.event(POWER_OUTAGE_SHORT, Severity.INFO, "short outage: " + record.flaps() + " off period(s) between "
                + record.start() + " and " + record.lastRestore() + ", " + record.offMillis() + " ms off in total"
                + summary(record));
        pendRestoreAlert();
    }

    private String summary(OutageRecord r) {
        return "; " + r.flaps() + " flap(s), " + r.offMillis() + " ms off since " + r.start();
    }

    private void pendRestoreAlert() {
        if (!settings.reportOutages()) {
            record = null;
            sink.clear();
            cancelTimer();
            return;
        }
        long min = settings.restoreDelayMin().toMillis();
        long max = settings.restoreDelayMax().toMillis();
        long delay = max > min ? min + random.nextLong(max - min + 1) : min;
        Instant due = scheduler.now().plusMillis(delay);
        record = new OutageRecord(record.start(), Phase.ALERT_PENDING, record.offSince(), record.lastRestore(),
                record.flaps(), record.offMillis(), record.outageAlertSent(), record.longOutage(), due);
        sink.persist(record);
        arm(due, this::sendRestoreAlert);
    }

    private void sendRestoreAlert() {
        if (record == null || record.phase() != Phase.ALERT_PENDING) {
            return;
        }
        OutageRecord r = record;
        Kind kind = r.longOutage() ? Kind.RESTORED_LONG : Kind.RESTORED;
        int code = r.longOutage() ? settings.restoredLongCode() : settings.restoredCode();
        byte[] payload = new OutageAlertPayload(kind, r.start(), r.lastRestore(), r.offMillis(), r.flaps()).encode();
        Envelope alert = signer.apply(new Envelope(alertId(r.start(), "restored"), MessageType.ALERT, settings.hubId(), 0,
                settings.recipient(), r.lastRestore(), code, payload));
        try {
            sink.alert(alert, RESTORE_PRIORITY);
        } catch (RuntimeException e) {
            sink.event(POWER_ALERT_FAILED, Severity.ERROR, "restore alert could not be queued (" + e.getMessage()
                    + "); retrying in " + ALERT_RETRY.toSeconds() + " s");
            arm(scheduler.now().plus(ALERT_RETRY), this::sendRestoreAlert);
            return;
        }
        record = null;
        sink.clear();
        sink.event(POWER_RESTORE_ALERT, Severity.INFO, String.format("restore alert 0x%04X %s queued: %d ms off in %d "
                + "flap(s) since %s", code, alert.messageId(), r.offMillis(), r.flaps(), r.start()));
    }

    // ---- timers ----

    private void arm(Instant due, Runnable task) {
        cancelTimer();
        long gen = ++generation;
        Duration delay = Duration.between(scheduler.now(), due);
        timer = scheduler.schedule(delay, () -> {
            synchronized (this) {
                if (gen == generation && !stopped) {
                    task.run();
                }
            }
        });
    }

    private void cancelTimer() {
        generation++;
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }
}
