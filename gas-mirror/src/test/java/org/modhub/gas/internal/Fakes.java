package org.modhub.gas.internal;

import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.modhub.api.common.Eui64;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.metering.ObisCode;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.ReadingQuery;
import org.modhub.api.store.StateStore;
import org.osgi.service.log.Logger;

/** In-memory stand-ins for the hub-core services, following their contracts. */
final class Fakes {
    private Fakes() {
    }

    static Logger logger() {
        return (Logger) Proxy.newProxyInstance(Fakes.class.getClassLoader(), new Class<?>[] {Logger.class},
                (p, m, a) -> m.getReturnType() == boolean.class ? Boolean.FALSE : null);
    }

    static final class MutableClock extends Clock {
        Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    static final class Metering implements MeteringStore {
        final Map<String, TreeMap<Instant, Reading>> readings = new ConcurrentHashMap<>();
        final Map<String, TreeMap<Instant, ProfileSample>> profile = new ConcurrentHashMap<>();

        private static String key(Eui64 d, ObisCode o) {
            return d + "/" + o;
        }

        @Override
        public synchronized void record(Collection<Reading> rs) {
            for (Reading r : rs) {
                readings.computeIfAbsent(key(r.device(), r.measurand()), k -> new TreeMap<>()).put(r.instant(), r);
            }
        }

        @Override
        public synchronized void recordProfile(Collection<ProfileSample> ss) {
            for (ProfileSample s : ss) {
                profile.computeIfAbsent(key(s.device(), s.measurand()), k -> new TreeMap<>()).put(s.intervalEnd(), s);
            }
        }

        @Override
        public synchronized Optional<Reading> latest(Eui64 device, ObisCode measurand) {
            TreeMap<Instant, Reading> m = readings.get(key(device, measurand));
            return m == null || m.isEmpty() ? Optional.empty() : Optional.of(m.lastEntry().getValue());
        }

        @Override
        public synchronized List<Reading> readings(ReadingQuery q) {
            TreeMap<Instant, Reading> m = readings.getOrDefault(key(q.device(), q.measurand()), new TreeMap<>());
            return new ArrayList<>(m.subMap(q.from(), true, q.to(), false).values()).stream().limit(q.limit()).toList();
        }

        @Override
        public synchronized List<ProfileSample> profile(ReadingQuery q) {
            TreeMap<Instant, ProfileSample> m = profile.getOrDefault(key(q.device(), q.measurand()), new TreeMap<>());
            return new ArrayList<>(m.subMap(q.from(), true, q.to(), false).values()).stream().limit(q.limit()).toList();
        }
    }

    static final class State implements StateStore {
        final Map<String, byte[]> values = new ConcurrentHashMap<>();

        @Override
        public Optional<byte[]> get(String ns, String key) {
            return Optional.ofNullable(values.get(ns + "|" + key)).map(byte[]::clone);
        }

        @Override
        public void put(String ns, String key, byte[] value) {
            values.put(ns + "|" + key, value.clone());
        }

        @Override
        public synchronized boolean compareAndSet(String ns, String key, byte[] expected, byte[] value) {
            byte[] current = values.get(ns + "|" + key);
            if (expected == null ? current != null : current == null || !Arrays.equals(current, expected)) {
                return false;
            }
            values.put(ns + "|" + key, value.clone());
            return true;
        }

        @Override
        public boolean remove(String ns, String key) {
            return values.remove(ns + "|" + key) != null;
        }

        @Override
        public Map<String, byte[]> entries(String ns) {
            Map<String, byte[]> out = new LinkedHashMap<>();
            values.keySet().stream().filter(k -> k.startsWith(ns + "|")).sorted(Comparator.naturalOrder())
                    .forEach(k -> out.put(k.substring(ns.length() + 1), values.get(k).clone()));
            return out;
        }
    }

    static final class Devices implements DeviceLog {
        final Map<Eui64, DeviceLogEntry> entries = new LinkedHashMap<>();

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
            return List.copyOf(entries.values());
        }

        @Override
        public int capacity() {
            return 32;
        }
    }
}
