package org.modhub.umi.internal;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
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
import org.osgi.service.log.Logger;

/** In-memory stand-ins for the hub-core services, and typed configurations from maps. */
final class Fakes {
    private Fakes() {
    }

    /** A logger that records every message line (with its arguments, formatted roughly). */
    static Logger logger(List<String> lines) {
        return (Logger) Proxy.newProxyInstance(Fakes.class.getClassLoader(), new Class<?>[] {Logger.class},
                (p, m, a) -> {
                    if (m.getDeclaringClass() == Object.class) {
                        return m.getName().equals("toString") ? "logger" : m.getName().equals("hashCode") ? 0 : false;
                    }
                    if (a != null && a.length > 0 && a[0] instanceof String s) {
                        lines.add(m.getName() + " " + s + " " + Arrays.deepToString(Arrays.copyOfRange(a, 1, a.length)));
                    }
                    return m.getReturnType() == boolean.class ? Boolean.TRUE : null;
                });
    }

    /** A configuration annotation instance: values from the map (by attribute id), else the defaults. */
    @SuppressWarnings("unchecked")
    static <A extends Annotation> A config(Class<A> type, Map<String, Object> values) {
        return (A) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, m, a) -> {
            if (m.getDeclaringClass() == Object.class || m.getParameterCount() > 0) {
                return m.getName().equals("toString") ? "config" : m.getName().equals("hashCode") ? 0 : false;
            }
            String id = attributeId(m);
            Object v = values.containsKey(id) ? values.get(id) : m.getDefaultValue();
            if (v == null) {
                return m.getReturnType() == String.class ? null : m.getDefaultValue();
            }
            return v;
        });
    }

    static String attributeId(Method m) {
        String n = m.getName();
        if (n.startsWith("_")) {
            n = "." + n.substring(1);
        }
        return n.replace("__", "\u0000").replace('_', '.').replace('\u0000', '_');
    }

    static final class Metering implements MeteringStore {
        final List<Reading> readings = new CopyOnWriteArrayList<>();
        final List<ProfileSample> samples = new CopyOnWriteArrayList<>();

        @Override
        public void record(Collection<Reading> r) {
            readings.addAll(r);
        }

        @Override
        public void recordProfile(Collection<ProfileSample> s) {
            samples.addAll(s);
        }

        @Override
        public Optional<Reading> latest(Eui64 device, ObisCode measurand) {
            return readings.stream().filter(r -> r.device().equals(device) && r.measurand().equals(measurand))
                    .reduce((x, y) -> y);
        }

        @Override
        public List<Reading> readings(ReadingQuery query) {
            return List.of();
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
            return new ArrayList<>(events);
        }

        boolean has(String code) {
            return events.stream().anyMatch(e -> e.code().equals(code));
        }
    }
}
