package org.modhub.bridge.gateway.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.EventQuery;
import org.modhub.api.event.HubEvent;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.metering.ObisCode;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.ReadingQuery;

/** In-memory stand-ins for hub-core's services, following their contracts. */
final class Fakes {
    private Fakes() {
    }

    static final class Metering implements MeteringStore {
        final Map<String, TreeMap<Instant, Reading>> readings = new ConcurrentHashMap<>();
        final Map<String, TreeMap<Instant, ProfileSample>> profile = new ConcurrentHashMap<>();
        final AtomicLong writes = new AtomicLong();

        private static String key(Eui64 d, ObisCode o) {
            return d + "/" + o;
        }

        @Override
        public synchronized void record(Collection<Reading> rs) {
            writes.incrementAndGet();
            for (Reading r : rs) {
                readings.computeIfAbsent(key(r.device(), r.measurand()), k -> new TreeMap<>()).put(r.instant(), r);
            }
        }

        @Override
        public synchronized void recordProfile(Collection<ProfileSample> ss) {
            writes.incrementAndGet();
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
            return m.subMap(q.from(), q.to()).values().stream().limit(q.limit()).toList();
        }

        @Override
        public synchronized List<ProfileSample> profile(ReadingQuery q) {
            TreeMap<Instant, ProfileSample> m = profile.getOrDefault(key(q.device(), q.measurand()), new TreeMap<>());
            return m.subMap(q.from(), q.to()).values().stream().limit(q.limit()).toList();
        }
    }

    static final class Devices implements DeviceLog {
        final List<DeviceLogEntry> entries = new CopyOnWriteArrayList<>();

        @Override
        public void add(DeviceLogEntry entry) {
            entries.removeIf(e -> e.device().equals(entry.device()));
            entries.add(entry);
        }

        @Override
        public boolean remove(Eui64 device) {
            return entries.removeIf(e -> e.device().equals(device));
        }

        @Override
        public Optional<DeviceLogEntry> find(Eui64 device) {
            return entries.stream().filter(e -> e.device().equals(device)).findFirst();
        }

        @Override
        public List<DeviceLogEntry> entries() {
            return List.copyOf(entries);
        }

        @Override
        public int capacity() {
            return 32;
        }
    }

    static final class Events implements EventLog {
        final List<HubEvent> logged = new CopyOnWriteArrayList<>();

        @Override
        public HubEvent log(HubEvent event) {
            logged.add(event);
            return event;
        }

        @Override
        public List<HubEvent> query(EventQuery query) {
            List<HubEvent> out = new ArrayList<>(logged);
            java.util.Collections.reverse(out);
            return out;
        }

        List<String> codes() {
            return logged.stream().map(HubEvent::code).toList();
        }
    }
}
