package org.modhub.umi.internal;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.osgi.service.log.Logger;

/** A recording logger and typed configurations from maps (the in-memory hub-core services are in test-support). */
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
}
