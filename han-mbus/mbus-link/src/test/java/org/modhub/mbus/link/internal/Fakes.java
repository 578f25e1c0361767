package org.modhub.mbus.link.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.EventQuery;
import org.modhub.api.event.HubEvent;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.metering.ObisCode;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.ReadingQuery;
import org.modhub.api.store.StateStore;

/** In-memory stand-ins for the hub-core services (hub-core itself is tested in its own module). */
final class Fakes {
    private Fakes() {
    }

    static final class State implements StateStore {
        final Map<String, byte[]> map = new ConcurrentHashMap<>();

        @Override
        public Optional<byte[]> get(String ns, String key) {
            return Optional.ofNullable(map.get(ns + "/" + key)).map(byte[]::clone);
        }

        @Override
        public void put(String ns, String key, byte[] value) {
            map.put(ns + "/" + key, value.clone());
        }

        @Override
        public synchronized boolean compareAndSet(String ns, String key, byte[] expected, byte[] value) {
            byte[] cur = map.get(ns + "/" + key);
            if (expected == null ? cur != null : !Arrays.equals(cur, expected)) {
                return false;
            }
            map.put(ns + "/" + key, value.clone());
            return true;
        }

        @Override
        public boolean remove(String ns, String key) {
            return map.remove(ns + "/" + key) != null;
        }

        @Override
        public Map<String, byte[]> entries(String ns) {
            Map<String, byte[]> out = new java.util.TreeMap<>();
            map.forEach((k, v) -> {
                if (k.startsWith(ns + "/")) {
                    out.put(k.substring(ns.length() + 1), v.clone());
                }
            });
            return out;
        }
    }

    static final class Metering implements MeteringStore {
        final List<Reading> readings = new CopyOnWriteArrayList<>();

        @Override
        public void record(Collection<Reading> r) {
            readings.addAll(r);
        }

        @Override
        public void recordProfile(Collection<ProfileSample> samples) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<Reading> latest(Eui64 device, ObisCode measurand) {
            Reading last = null;
            for (Reading r : readings) {
                if (r.device().equals(device) && r.measurand().equals(measurand)) {
                    last = r;
                }
            }
            return Optional.ofNullable(last);
        }

        @Override
        public List<Reading> readings(ReadingQuery q) {
            List<Reading> out = new ArrayList<>();
            for (Reading r : readings) {
                if (r.device().equals(q.device()) && r.measurand().equals(q.measurand())) {
                    out.add(r);
                }
            }
            return out;
        }

        @Override
        public List<ProfileSample> profile(ReadingQuery query) {
            return List.of();
        }
    }

    static final class Events implements EventLog {
        final List<HubEvent> events = new CopyOnWriteArrayList<>();

        @Override
        public HubEvent log(HubEvent event) {
            events.add(event);
            return event;
        }

        @Override
        public List<HubEvent> query(EventQuery query) {
            return List.copyOf(events);
        }

        long count(String code) {
            return events.stream().filter(e -> e.code().equals(code)).count();
        }
    }
}
