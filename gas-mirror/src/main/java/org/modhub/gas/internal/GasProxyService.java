package org.modhub.gas.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.HubEvent;
import org.modhub.api.event.Severity;
import org.modhub.api.gas.GasMeterRecovery;
import org.modhub.api.gas.GasProxy;
import org.modhub.api.gas.GasPush;
import org.modhub.api.gas.LogEntry;
import org.modhub.api.gas.MirrorRead;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceType;
import org.modhub.api.han.UnknownDeviceException;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.ReadingQuery;
import org.modhub.api.metering.Unit;
import org.modhub.api.store.StateStore;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The Gas Proxy Function. Everything it knows lives in hub-core: the half-hourly profile and the
 * daily read log in the {@link MeteringStore}, the latest push, the last boundary volume, pending
 * gaps and the small logs in the {@link StateStore}. So a kill -9 or an update of this bundle loses
 * nothing, and a new version carries on from the stored state.
 *
 * <p>Derivation: the meter pushes just after each half-hour boundary; the push's capture time is
 * truncated to its boundary and the consumption of the half hour ending there is the volume
 * difference to the previous boundary. When boundaries are missing (the meter or the HAN was down),
 * the gap is recorded and recovered from the meter through {@link GasMeterRecovery} at its next
 * wake-up; the mirror itself never wakes the meter.
 */
@Component(service = GasProxy.class, immediate = true, configurationPid = GasProxyService.PID)
@Designate(ocd = GasProxyService.Config.class)
public class GasProxyService implements GasProxy {
    public static final String PID = "org.modhub.gas.mirror";
    static final String NAMESPACE = "org.modhub.gas-mirror";
    static final String SOURCE = "gas-mirror";
    static final long HALF_HOUR = Duration.ofMinutes(30).toMillis();
    static final long DAY = Duration.ofDays(1).toMillis();
    static final Duration INTERVAL = Duration.ofMinutes(30);

    @ObjectClassDefinition(id = PID, name = "modhub gas mirror", description = "The Gas Proxy Function.")
    public @interface Config {
        @AttributeDefinition(min = "31", max = "1440", description = "Mirrored values older than this (minutes) are flagged stale.")
        int staleAfterMinutes() default 65;

        @AttributeDefinition(min = "1", max = "397", description = "Longest gap (days) recovered from the meter; older parts are given up with an event.")
        int maxRecoveryDays() default 31;

        @AttributeDefinition(min = "0", max = "3600", description = "How far (s) a push may be ahead of the hub clock.")
        int maxClockAheadSeconds() default 300;
    }

    private final MeteringStore metering;
    private final StateStore state;
    private final DeviceLog deviceLog;
    private final Logger log;
    private final Clock clock;
    private final Duration staleAfter;
    private final long maxRecovery;
    private final Duration maxAhead;
    private final List<GasMeterRecovery> recoveries = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile EventLog eventLog;

    @Activate
    public GasProxyService(@Reference MeteringStore metering, @Reference StateStore state, @Reference DeviceLog deviceLog,
            @Reference(service = LoggerFactory.class) Logger log, Config config) {
        this(metering, state, deviceLog, log, config, Clock.systemUTC());
    }

    GasProxyService(MeteringStore metering, StateStore state, DeviceLog deviceLog, Logger log, Config config, Clock clock) {
        check(config.staleAfterMinutes(), 31, 1440, "staleAfterMinutes", log);
        check(config.maxRecoveryDays(), 1, 397, "maxRecoveryDays", log);
        check(config.maxClockAheadSeconds(), 0, 3600, "maxClockAheadSeconds", log);
        this.metering = metering;
        this.state = state;
        this.deviceLog = deviceLog;
        this.log = log;
        this.clock = clock;
        this.staleAfter = Duration.ofMinutes(config.staleAfterMinutes());
        this.maxRecovery = Duration.ofDays(config.maxRecoveryDays()).toMillis();
        this.maxAhead = Duration.ofSeconds(config.maxClockAheadSeconds());
    }

    private static void check(int value, int min, int max, String field, Logger log) {
        if (value < min || value > max) {
            String msg = "configuration " + PID + ": field '" + field + "': " + value + " is out of " + min + ".." + max;
            log.error(msg);
            throw new IllegalArgumentException(msg);
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    public void addRecovery(GasMeterRecovery recovery) {
        recoveries.add(recovery);
    }

    public void removeRecovery(GasMeterRecovery recovery) {
        recoveries.remove(recovery);
    }

    // ---- pushes ------------------------------------------------------------------------------

    @Override
    public void accept(GasPush push) throws UnknownDeviceException {
        requireGasMeter(push.meter());
        Instant now = clock.instant();
        if (push.capturedAt().isAfter(now.plus(maxAhead))) {
            refuse(push, "captured at " + push.capturedAt() + ", ahead of the hub clock " + now);
        }
        boolean recover;
        synchronized (lock) {
            MirrorState s = load(push.meter());
            if (s.latest != null) {
                int order = push.capturedAt().compareTo(s.latest.capturedAt());
                if (order == 0 && push.equals(s.latest)) {
                    return; // the same push again (a HAN retry): nothing to do
                }
                if (order <= 0) {
                    refuse(push, "captured at " + push.capturedAt() + ", not after the last push " + s.latest.capturedAt());
                }
                if (push.volume().compareTo(s.latest.volume()) < 0) {
                    refuse(push, "volume " + push.volume() + " m³ is below the last " + s.latest.volume() + " m³");
                }
            }
            long b = boundaryOf(push.capturedAt());
            List<ProfileSample> samples = new ArrayList<>();
            List<Reading> daily = new ArrayList<>();
            if (s.boundary == 0 || b > s.boundary) {
                if (s.boundary != 0 && b == s.boundary + HALF_HOUR) {
                    samples.add(sample(push.meter(), b, volumeAt(s), push.volume(), push.volumeScaler()));
                } else if (s.boundary != 0) {
                    addGap(s, push.meter(), s.boundary, volumeAt(s), b, push.volume(), push.volumeScaler());
                }
                s.boundary = b;
                s.boundaryVolumeRaw = push.volumeRaw();
                s.boundaryScaler = push.volumeScaler();
                if (b % DAY == 0) {
                    daily.add(dailyRead(push.meter(), b, push.volumeRaw(), push.volumeScaler()));
                }
            }
            s.latest = push;
            // metering data first, then the state that says it is there: a crash in between derives
            // the same samples again from the next push
            metering.recordProfile(samples);
            metering.record(daily);
            save(push.meter(), s);
            recover = !s.gaps.isEmpty();
        }
        if (recover) {
            recover(push.meter());
        }
    }

    private void requireGasMeter(Eui64 meter) throws UnknownDeviceException {
        Optional<DeviceLogEntry> entry = deviceLog.find(meter);
        if (entry.isEmpty() || entry.get().type() != DeviceType.GAS_METER) {
            event(EventKind.AUDIT, "GAS_PUSH_REFUSED", Severity.WARNING, meter, "not a gas meter in the device log");
            throw new UnknownDeviceException(meter, "not a gas meter in the device log");
        }
    }

    private void refuse(GasPush push, String why) {
        event(EventKind.EVENT, "GAS_PUSH_REFUSED", Severity.WARNING, push.meter(), why);
        throw new IllegalArgumentException("push from " + push.meter() + " refused: " + why);
    }

    static long boundaryOf(Instant t) {
        long ms = t.toEpochMilli();
        return ms - Math.floorMod(ms, HALF_HOUR);
    }

    private static BigDecimal volumeAt(MirrorState s) {
        return BigDecimal.valueOf(s.boundaryVolumeRaw).scaleByPowerOfTen(s.boundaryScaler);
    }

    private static ProfileSample sample(Eui64 meter, long end, BigDecimal from, BigDecimal to, int scaler) {
        long raw = to.subtract(from).scaleByPowerOfTen(-scaler).setScale(0, RoundingMode.HALF_UP).longValueExact();
        return new ProfileSample(meter, Measurands.GAS_VOLUME, Instant.ofEpochMilli(end), INTERVAL, raw, scaler,
                Unit.CUBIC_METRE, java.util.Set.of());
    }

    private static Reading dailyRead(Eui64 meter, long midnight, long volumeRaw, int scaler) {
        return new Reading(meter, Measurands.GAS_VOLUME, Instant.ofEpochMilli(midnight), volumeRaw, scaler,
                Unit.CUBIC_METRE);
    }

    /** Records a gap between two known boundaries, giving up what is older than the recovery limit. */
    private void addGap(MirrorState s, Eui64 meter, long fromBoundary, BigDecimal fromVolume, long toBoundary,
            BigDecimal toVolume, int scaler) {
        long missing = (toBoundary - fromBoundary) / HALF_HOUR - 1;
        if (toBoundary - fromBoundary > maxRecovery) {
            event(EventKind.EVENT, "GAS_GAP_ABANDONED", Severity.WARNING, meter, "gap from "
                    + Instant.ofEpochMilli(fromBoundary) + " longer than " + Duration.ofMillis(maxRecovery).toDays()
                    + " days: only the last part is recovered");
            fromBoundary = toBoundary - maxRecovery;
            fromVolume = null;
        }
        s.gaps.add(Gap.of(fromBoundary, fromVolume, toBoundary, toVolume, scaler).encode());
        event(EventKind.EVENT, "GAS_GAP", Severity.INFO, meter, missing + " half-hour readings missing up to "
                + Instant.ofEpochMilli(toBoundary) + "; asking the meter at its next wake-up");
    }

    // ---- gap recovery ------------------------------------------------------------------------

    /** Asks the meter (through whichever HAN bundle can) for the boundaries of every pending gap. */
    void recover(Eui64 meter) {
        List<long[]> gaps;
        synchronized (lock) {
            gaps = new ArrayList<>(load(meter).gaps);
        }
        for (long[] encoded : gaps) {
            Gap gap = Gap.decode(encoded);
            for (GasMeterRecovery r : recoveries) {
                r.missed(meter, Instant.ofEpochMilli(gap.from + HALF_HOUR), Instant.ofEpochMilli(gap.to))
                        .whenComplete((pushes, failure) -> {
                            if (failure != null) {
                                log.warn("gap recovery for {} failed: {}", meter, failure.getMessage());
                            } else {
                                fill(meter, encoded, pushes);
                            }
                        });
            }
        }
    }

    private void fill(Eui64 meter, long[] encodedGap, List<GasPush> pushes) {
        synchronized (lock) {
            MirrorState s = load(meter);
            int index = -1;
            for (int i = 0; i < s.gaps.size(); i++) {
                if (java.util.Arrays.equals(s.gaps.get(i), encodedGap)) {
                    index = i;
                }
            }
            if (index < 0) {
                return; // filled meanwhile
            }
            Gap gap = Gap.decode(encodedGap);
            TreeMap<Long, BigDecimal> known = new TreeMap<>();
            if (gap.fromVolume != null) {
                known.put(gap.from, gap.fromVolume);
            }
            known.put(gap.to, gap.toVolume);
            for (GasPush p : pushes) {
                long b = boundaryOf(p.capturedAt());
                if (!p.meter().equals(meter) || b <= gap.from || b >= gap.to) {
                    continue; // not asked for: ignore
                }
                known.putIfAbsent(b, p.volume());
            }
            List<ProfileSample> samples = new ArrayList<>();
            List<Reading> daily = new ArrayList<>();
            List<long[]> remaining = new ArrayList<>();
            Map.Entry<Long, BigDecimal> previous = null;
            for (Map.Entry<Long, BigDecimal> point : known.entrySet()) {
                if (previous != null) {
                    if (previous.getValue().compareTo(point.getValue()) > 0) {
                        event(EventKind.EVENT, "GAS_GAP_REFUSED", Severity.WARNING, meter,
                                "recovered volumes go backwards at " + Instant.ofEpochMilli(point.getKey()));
                        return;
                    }
                    if (point.getKey() - previous.getKey() == HALF_HOUR) {
                        samples.add(sample(meter, point.getKey(), previous.getValue(), point.getValue(), gap.scaler));
                    } else {
                        remaining.add(Gap.of(previous.getKey(), previous.getValue(), point.getKey(), point.getValue(),
                                gap.scaler).encode());
                    }
                }
                if (point.getKey() % DAY == 0 && point.getKey() > gap.from && point.getKey() < gap.to) {
                    BigDecimal raw = point.getValue().scaleByPowerOfTen(-gap.scaler).setScale(0, RoundingMode.HALF_UP);
                    daily.add(dailyRead(meter, point.getKey(), raw.longValueExact(), gap.scaler));
                }
                previous = point;
            }
            metering.recordProfile(samples);
            metering.record(daily);
            s.gaps.remove(index);
            s.gaps.addAll(index, remaining);
            save(meter, s);
            event(EventKind.EVENT, "GAS_GAP_FILLED", Severity.INFO, meter, samples.size()
                    + " half-hour readings recovered from the meter" + (remaining.isEmpty() ? "" : ", some still missing"));
        }
    }

    /** A gap: boundaries strictly between {@code from} and {@code to} have no known volume. */
    record Gap(long from, BigDecimal fromVolume, long to, BigDecimal toVolume, int scaler) {
        static Gap of(long from, BigDecimal fromVolume, long to, BigDecimal toVolume, int scaler) {
            return new Gap(from, fromVolume, to, toVolume, scaler);
        }

        long[] encode() {
            long fromRaw = fromVolume == null ? -1 : fromVolume.scaleByPowerOfTen(-scaler).setScale(0, RoundingMode.HALF_UP).longValueExact();
            long toRaw = toVolume.scaleByPowerOfTen(-scaler).setScale(0, RoundingMode.HALF_UP).longValueExact();
            return new long[] {from, to, fromRaw, toRaw, scaler};
        }

        static Gap decode(long[] g) {
            int scaler = (int) g[4];
            return new Gap(g[0], g[2] < 0 ? null : BigDecimal.valueOf(g[2]).scaleByPowerOfTen(scaler), g[1],
                    BigDecimal.valueOf(g[3]).scaleByPowerOfTen(scaler), scaler);
        }
    }

    // ---- reads -------------------------------------------------------------------------------

    @Override
    public Optional<MirrorRead> read(Eui64 meter) {
        Optional<byte[]> stored = state.get(NAMESPACE, key(meter, "mirror"));
        if (stored.isEmpty()) {
            return Optional.empty();
        }
        GasPush p = MirrorState.decode(meter, stored.get()).latest;
        if (p == null) {
            return Optional.empty();
        }
        Duration age = Duration.between(p.capturedAt(), clock.instant());
        if (age.isNegative()) {
            age = Duration.ZERO;
        }
        return Optional.of(new MirrorRead(meter, p.capturedAt(), age, age.compareTo(staleAfter) > 0, p.volume(),
                p.todayEnergyWh(), p.todayCostMinor()));
    }

    @Override
    public List<ProfileSample> halfHourly(Eui64 meter, Instant from, Instant to) {
        return metering.profile(new ReadingQuery(meter, Measurands.GAS_VOLUME, from, to, 20_000));
    }

    @Override
    public List<Reading> dailyReads(Eui64 meter) {
        Instant now = clock.instant();
        List<Reading> all = new ArrayList<>(metering.readings(new ReadingQuery(meter, Measurands.GAS_VOLUME,
                now.minus(Duration.ofDays(32)), now.plus(Duration.ofDays(1)), 1_000)));
        all.removeIf(r -> r.instant().toEpochMilli() % DAY != 0);
        all.sort(Comparator.comparing(Reading::instant).reversed());
        return all.size() > 31 ? List.copyOf(all.subList(0, 31)) : List.copyOf(all);
    }

    // ---- small logs --------------------------------------------------------------------------

    @Override
    public void log(Eui64 meter, LogEntry entry) throws UnknownDeviceException {
        requireGasMeter(meter);
        synchronized (lock) {
            List<LogEntry> entries = new ArrayList<>(log(meter, entry.kind()));
            entries.add(0, entry);
            while (entries.size() > entry.kind().capacity()) {
                entries.remove(entries.size() - 1);
            }
            state.put(NAMESPACE, key(meter, "log/" + entry.kind().name()), encode(entries));
        }
        event(EventKind.EVENT, "GAS_" + entry.kind().name(), Severity.INFO, meter, entry.value() + " " + entry.reference());
    }

    @Override
    public List<LogEntry> log(Eui64 meter, LogEntry.Kind kind) {
        return state.get(NAMESPACE, key(meter, "log/" + kind.name())).map(b -> decode(kind, b)).orElse(List.of());
    }

    private static byte[] encode(List<LogEntry> entries) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(1);
            out.writeShort(entries.size());
            for (LogEntry e : entries) {
                out.writeLong(e.at().toEpochMilli());
                out.writeUTF(e.value().toPlainString());
                out.writeUTF(e.reference());
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<LogEntry> decode(LogEntry.Kind kind, byte[] data) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
            if (in.readUnsignedByte() != 1) {
                throw new IllegalStateException("unknown log format");
            }
            int n = in.readUnsignedShort();
            List<LogEntry> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(new LogEntry(kind, Instant.ofEpochMilli(in.readLong()), new BigDecimal(in.readUTF()), in.readUTF()));
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("gas mirror log unreadable: " + e.getMessage(), e);
        }
    }

    // ---- state -------------------------------------------------------------------------------

    private static String key(Eui64 meter, String what) {
        return meter.toHex() + "/" + what;
    }

    private MirrorState load(Eui64 meter) {
        return state.get(NAMESPACE, key(meter, "mirror")).map(b -> MirrorState.decode(meter, b)).orElseGet(MirrorState::new);
    }

    private void save(Eui64 meter, MirrorState s) {
        state.put(NAMESPACE, key(meter, "mirror"), s.encode());
    }

    private void event(EventKind kind, String code, Severity severity, Eui64 meter, String detail) {
        EventLog events = eventLog;
        if (events != null) {
            events.log(HubEvent.of(kind, code, severity, meter, SOURCE, detail));
        } else {
            log.info("{} {}: {}", code, meter, detail);
        }
    }
}
