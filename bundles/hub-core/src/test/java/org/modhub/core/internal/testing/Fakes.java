package org.modhub.core.internal.testing;

import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.modhub.core.internal.config.ConfigGuard;
import org.modhub.core.internal.db.Durability;
import org.modhub.core.internal.db.HubStore;
import org.modhub.core.internal.db.SqliteDatabase;
import org.osgi.framework.BundleContext;
import org.osgi.service.log.Logger;

/** Plain-JVM stand-ins for the framework pieces hub-core's components take in their constructors. */
public final class Fakes {
    private Fakes() {
    }

    /** A logger that records formatted error and warn lines. */
    public static Logger logger(List<String> lines) {
        return (Logger) Proxy.newProxyInstance(Fakes.class.getClassLoader(), new Class<?>[] {Logger.class},
                (proxy, method, args) -> {
                    if (lines != null && args != null && args.length > 0 && args[0] instanceof String s
                            && (method.getName().equals("error") || method.getName().equals("warn"))) {
                        lines.add(method.getName() + ": " + s);
                    }
                    return method.getReturnType() == boolean.class ? Boolean.FALSE : null;
                });
    }

    public static Logger logger() {
        return logger(new ArrayList<>());
    }

    public static BundleContext context(Map<String, String> properties) {
        return (BundleContext) Proxy.newProxyInstance(Fakes.class.getClassLoader(), new Class<?>[] {BundleContext.class},
                (proxy, method, args) -> method.getName().equals("getProperty") ? properties.get((String) args[0]) : null);
    }

    public static ConfigGuard guard() {
        return new ConfigGuard(context(Map.of()), logger());
    }

    /** A typed configuration annotation instance answering each member from the map, else its default. */
    @SuppressWarnings("unchecked")
    public static <A extends Annotation> A config(Class<A> type, Map<String, Object> values) {
        return (A) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            if (values.containsKey(method.getName())) {
                return values.get(method.getName());
            }
            return method.getDefaultValue();
        });
    }

    /** A store over a test folder. */
    public static HubStore store(Path dir) throws Exception {
        SqliteDatabase hub = SqliteDatabase.open(dir.resolve("hub.db"), Durability.FULL, true);
        SqliteDatabase outbox = SqliteDatabase.open(dir.resolve("outbox.db"), Durability.FULL, true);
        return new HubStore() {
            @Override
            public SqliteDatabase hub() {
                return hub;
            }

            @Override
            public SqliteDatabase outbox() {
                return outbox;
            }

            @Override
            public Path dataDir() {
                return dir;
            }
        };
    }
}
