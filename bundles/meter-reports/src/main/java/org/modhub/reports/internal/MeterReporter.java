package org.modhub.reports.internal;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.modhub.api.common.Eui64;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.messaging.OutboundMessage;
import org.modhub.api.messaging.Outbox;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.metering.ObisCode;
import org.modhub.api.metering.ProfileCodec;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.ReadingCodec;
import org.modhub.api.metering.ReadingQuery;
import org.modhub.api.store.StateStore;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The hub's one path of readings to the head end: new readings and profile samples of every device in
 * the device log (HAN meters, M-Bus meters, the electricity meter of each UMI link), on a schedule,
 * through the durable {@link Outbox} (the WAN session wraps each body in the KuraDataCodec payload):
 * registers as {@link ReadingCodec} bodies on {@link ReadingCodec#TOPIC}, profile runs as
 * {@link ProfileCodec} bodies on {@link ProfileCodec#TOPIC}. Per device and measurand a cursor in the {@link StateStore} says up to
 * which instant (exclusive) everything was handed over; a window is written as "pending" before its
 * message is enqueued and becomes the cursor after, so a restart in between sends the same window
 * again with the same message id (the head end de-duplicates on it) and nothing is skipped.
 */
@Component(immediate = true, configurationPid = MeterReporter.PID)
@Designate(ocd = MeterReporter.Config.class)
public class MeterReporter {
    public static final String PID = "org.modhub.reports";
    static final String NAMESPACE = "org.modhub.meter-reports";

    @ObjectClassDefinition(id = PID, name = "modhub meter reports", description = "Readings to the head end on a schedule.")
    public @interface Config {
        @AttributeDefinition(min = "10", max = "86400", description = "Seconds between reports.")
        int intervalSeconds() default 1800;

        @AttributeDefinition(min = "0", max = "3600", description = "Readings younger than this (s) wait for the next report (late writers).")
        int settleSeconds() default 60;

        @AttributeDefinition(min = "1", max = "400", description = "How far back (days) the first report of a series starts.")
        int firstLookbackDays() default 1;

        @AttributeDefinition(min = "1", max = "10000", description = "Most readings or samples in one message.")
        int maxPerMessage() default 500;

        @AttributeDefinition(description = "Register measurands (OBIS) reported for every device: electricity import"
                + " and export totals and tariffs 1 and 2, active power, gas, water and heat volumes.")
        String[] measurands() default {"1.0.1.8.0.255", "1.0.1.8.1.255", "1.0.1.8.2.255", "1.0.2.8.0.255",
            "1.0.2.8.1.255", "1.0.2.8.2.255", "1.0.1.7.0.255", "1.0.2.7.0.255", "7.0.3.0.0.255", "8.0.1.0.0.255",
            "6.0.1.0.0.255"};

        @AttributeDefinition(description = "Profile measurands (OBIS) reported for every device.")
        String[] profileMeasurands() default {"7.0.3.0.0.255", "1.0.1.8.0.255", "1.0.2.8.0.255"};

        @AttributeDefinition(min = "0", max = "9")
        int priority() default 6;
    }

    private final MeteringStore metering;
    private final StateStore state;
    private final DeviceLog deviceLog;
    private final Outbox outbox;
    private final Clock clock;
    private final Config config;
    private final List<ObisCode> measurands = new ArrayList<>();
    private final List<ObisCode> profileMeasurands = new ArrayList<>();
    private final ScheduledExecutorService scheduler;
    private final Logger log;

    @Activate
    public MeterReporter(@Reference MeteringStore metering, @Reference StateStore state, @Reference DeviceLog deviceLog,
            @Reference Outbox outbox, @Reference(service = LoggerFactory.class) Logger log, Config config) {
        this(metering, state, deviceLog, outbox, log, config, Clock.systemUTC(), true);
    }

    MeterReporter(MeteringStore metering, StateStore state, DeviceLog deviceLog, Outbox outbox, Logger log, Config config,
            Clock clock, boolean schedule) {
        check(config.intervalSeconds(), 10, 86400, "intervalSeconds", log);
        check(config.settleSeconds(), 0, 3600, "settleSeconds", log);
        check(config.firstLookbackDays(), 1, 400, "firstLookbackDays", log);
        check(config.maxPerMessage(), 1, 10000, "maxPerMessage", log);
        check(config.priority(), 0, 9, "priority", log);
        parse(config.measurands(), measurands, "measurands", log);
        parse(config.profileMeasurands(), profileMeasurands, "profileMeasurands", log);
        this.metering = metering;
        this.state = state;
        this.deviceLog = deviceLog;
        this.outbox = outbox;
        this.clock = clock;
        this.config = config;
        this.log = log;
        if (schedule) {
            scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "meter-reports");
                t.setDaemon(true);
                return t;
            });
            scheduler.scheduleWithFixedDelay(this::runSafely, config.intervalSeconds(), config.intervalSeconds(), TimeUnit.SECONDS);
        } else {
            scheduler = null;
        }
    }

    private static void check(int v, int min, int max, String field, Logger log) {
        if (v < min || v > max) {
            String msg = "configuration " + PID + ": field '" + field + "': " + v + " is out of " + min + ".." + max;
            log.error(msg);
            throw new IllegalArgumentException(msg);
        }
    }

    private static void parse(String[] texts, List<ObisCode> into, String field, Logger log) {
        for (String t : texts) {
            try {
                into.add(ObisCode.parse(t));
            } catch (IllegalArgumentException e) {
                String msg = "configuration " + PID + ": field '" + field + "': " + e.getMessage();
                log.error(msg);
                throw new IllegalArgumentException(msg);
            }
        }
    }

    private void runSafely() {
        try {
            runOnce();
        } catch (RuntimeException e) {
            log.warn("meter report failed, retried at the next interval: " + e);
        }
    }

    /** One report: every series, every window due. Returns the messages enqueued. */
    int runOnce() {
        Instant now = clock.instant();
        Instant upTo = now.minusSeconds(config.settleSeconds());
        int sent = 0;
        for (DeviceLogEntry e : deviceLog.entries()) {
            for (ObisCode m : measurands) {
                sent += series(e.device(), m, false, now, upTo);
            }
            for (ObisCode m : profileMeasurands) {
                sent += series(e.device(), m, true, now, upTo);
            }
        }
        return sent;
    }

    private int series(Eui64 device, ObisCode m, boolean profile, Instant now, Instant upTo) {
        String key = (profile ? "p/" : "r/") + device.toHex() + "/" + m;
        int sent = 0;
        for (int guard = 0; guard < 1000; guard++) {
            Optional<long[]> pending = state.get(NAMESPACE, "pending/" + key).map(MeterReporter::window);
            long from;
            long to;
            if (pending.isPresent()) {
                from = pending.get()[0];
                to = pending.get()[1];
            } else {
                from = state.get(NAMESPACE, "cursor/" + key).map(b -> Long.parseLong(new String(b, StandardCharsets.US_ASCII)))
                        .orElse(now.minus(Duration.ofDays(config.firstLookbackDays())).toEpochMilli());
                to = upTo.toEpochMilli();
                if (to <= from) {
                    return sent;
                }
            }
            ReadingQuery q = new ReadingQuery(device, m, Instant.ofEpochMilli(from), Instant.ofEpochMilli(to), config.maxPerMessage());
            List<byte[]> bodies;
            if (profile) {
                List<ProfileSample> samples = metering.profile(q);
                if (pending.isEmpty() && samples.size() == config.maxPerMessage()) {
                    to = samples.get(samples.size() - 1).intervalEnd().toEpochMilli() + 1; // the rest next round
                }
                bodies = profileRuns(samples);
            } else {
                List<Reading> readings = metering.readings(q);
                if (pending.isEmpty() && readings.size() == config.maxPerMessage()) {
                    to = readings.get(readings.size() - 1).instant().toEpochMilli() + 1;
                }
                bodies = readings.isEmpty() ? List.of() : List.of(ReadingCodec.encode(readings));
            }
            if (!bodies.isEmpty()) {
                state.put(NAMESPACE, "pending/" + key, (from + "-" + to).getBytes(StandardCharsets.US_ASCII));
                String id = "mr-" + (profile ? "p-" : "r-") + device.toHex() + "-" + m + "-" + from + "-" + to;
                List<OutboundMessage> messages = new ArrayList<>();
                for (int i = 0; i < bodies.size(); i++) {
                    messages.add(new OutboundMessage(bodies.size() == 1 ? id : id + "-" + i,
                            profile ? ProfileCodec.TOPIC : ReadingCodec.TOPIC, config.priority(), 1, now, bodies.get(i)));
                }
                outbox.enqueueAll(messages); // a window's messages in one atomic write
                sent += messages.size();
            }
            state.put(NAMESPACE, "cursor/" + key, Long.toString(to).getBytes(StandardCharsets.US_ASCII));
            state.remove(NAMESPACE, "pending/" + key);
            if (to >= upTo.toEpochMilli()) {
                return sent; // caught up; else a full batch or a recovered window: go on from the cursor
            }
        }
        return sent;
    }

    /**
     * Profile samples as {@link ProfileCodec} runs, one message body each (as a head end decodes a
     * {@link ProfileCodec#TOPIC} message); a sample of another interval, unit or scaler, or one off the
     * run's interval grid, starts a new run.
     */
    static List<byte[]> profileRuns(List<ProfileSample> samples) {
        List<byte[]> out = new ArrayList<>();
        List<ProfileSample> run = new ArrayList<>();
        for (ProfileSample s : samples) {
            if (!run.isEmpty() && !continues(run.get(run.size() - 1), s)) {
                out.add(ProfileCodec.encode(run));
                run.clear();
            }
            run.add(s);
        }
        if (!run.isEmpty()) {
            out.add(ProfileCodec.encode(run));
        }
        return out;
    }

    private static boolean continues(ProfileSample last, ProfileSample s) {
        if (!last.interval().equals(s.interval()) || last.unit() != s.unit() || last.scaler() != s.scaler()
                || !s.intervalEnd().isAfter(last.intervalEnd())) {
            return false;
        }
        return Duration.between(last.intervalEnd(), s.intervalEnd()).toSeconds() % last.interval().toSeconds() == 0;
    }

    private static long[] window(byte[] b) {
        String[] p = new String(b, StandardCharsets.US_ASCII).split("-");
        return new long[] {Long.parseLong(p[0]), Long.parseLong(p[1])};
    }

    @Deactivate
    void deactivate() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }
}
