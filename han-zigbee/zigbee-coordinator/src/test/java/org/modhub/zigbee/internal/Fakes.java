package org.modhub.zigbee.internal;

import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.modhub.api.common.Eui64;
import org.modhub.api.gas.GasProxy;
import org.modhub.api.gas.GasPush;
import org.modhub.api.gas.LogEntry;
import org.modhub.api.gas.MirrorRead;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.ReadingQuery;
import org.osgi.service.log.Logger;

/** In-memory stand-ins for the hub-core services and the gas mirror, following their contracts. */
final class Fakes {
    private Fakes() {
    }

    static Logger logger() {
        return (Logger) Proxy.newProxyInstance(Fakes.class.getClassLoader(), new Class<?>[] {Logger.class},
                (p, m, a) -> m.getReturnType() == boolean.class ? Boolean.FALSE : null);
    }

    static final class Metering implements MeteringStore {
        final List<Reading> readings = new CopyOnWriteArrayList<>();

        @Override
        public void record(Collection<Reading> rs) {
            readings.addAll(rs);
        }

        final List<ProfileSample> samples = new CopyOnWriteArrayList<>();

        @Override
        public void recordProfile(Collection<ProfileSample> samples) {
            this.samples.addAll(samples);
        }

        @Override
        public Optional<Reading> latest(Eui64 device, org.modhub.api.metering.ObisCode measurand) {
            Reading last = null;
            for (Reading r : readings) {
                if (r.device().equals(device) && r.measurand().equals(measurand)) {
                    last = r;
                }
            }
            return Optional.ofNullable(last);
        }

        @Override
        public List<Reading> readings(ReadingQuery query) {
            return List.copyOf(readings);
        }

        @Override
        public List<ProfileSample> profile(ReadingQuery query) {
            return samples.stream().filter(p -> p.device().equals(query.device()) && p.measurand().equals(query.measurand())
                    && !p.intervalEnd().isBefore(query.from()) && p.intervalEnd().isBefore(query.to()))
                    .sorted(java.util.Comparator.comparing(ProfileSample::intervalEnd)).limit(query.limit()).toList();
        }
    }

    static final class Devices implements DeviceLog {
        final Map<Eui64, DeviceLogEntry> entries = new ConcurrentHashMap<>();

        @Override
        public void add(DeviceLogEntry entry) {
            entries.put(entry.device(), entry);
        }

        @Override
        public boolean remove(Eui64 device) {
            return entries.remove(device) != null;
        }

        @Override
        public Optional<DeviceLogEntry> find(Eui64 device) {
            return Optional.ofNullable(entries.get(device));
        }

        @Override
        public List<DeviceLogEntry> entries() {
            List<DeviceLogEntry> l = new ArrayList<>(entries.values());
            l.sort(Comparator.comparing(DeviceLogEntry::added).thenComparing(DeviceLogEntry::device));
            return l;
        }

        @Override
        public int capacity() {
            return 32;
        }
    }

    /** Keeps the pushes; reads answer from the last one. */
    static final class Gas implements GasProxy {
        final List<GasPush> pushes = new CopyOnWriteArrayList<>();

        @Override
        public void accept(GasPush push) {
            pushes.add(push);
        }

        @Override
        public Optional<MirrorRead> read(Eui64 meter) {
            GasPush last = null;
            for (GasPush p : pushes) {
                if (p.meter().equals(meter)) {
                    last = p;
                }
            }
            if (last == null) {
                return Optional.empty();
            }
            return Optional.of(new MirrorRead(meter, last.capturedAt(), Duration.between(last.capturedAt(), Instant.now()),
                    false, last.volume(), last.todayEnergyWh(), last.todayCostMinor()));
        }

        @Override
        public List<ProfileSample> halfHourly(Eui64 meter, Instant from, Instant to) {
            return List.of();
        }

        @Override
        public List<Reading> dailyReads(Eui64 meter) {
            return List.of();
        }

        @Override
        public void log(Eui64 meter, LogEntry entry) {
        }

        @Override
        public List<LogEntry> log(Eui64 meter, LogEntry.Kind kind) {
            return List.of();
        }

        static BigDecimal unused() {
            return BigDecimal.ZERO;
        }
    }
}
