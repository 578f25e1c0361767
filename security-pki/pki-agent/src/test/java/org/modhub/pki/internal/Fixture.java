package org.modhub.pki.internal;

import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.modhub.api.common.Eui64;
import org.osgi.service.log.Logger;

/** Builds a PKI agent outside the framework over in-memory state, provisioned from a TestPki. */
final class Fixture {
    static final Eui64 HUB = Eui64.parse("00-DB-12-34-56-78-90-A4");

    final TestPki pki;
    final Path dir;
    final MemoryStateStore state = new MemoryStateStore();
    final MemoryEventLog events = new MemoryEventLog();
    final List<String> logLines = new ArrayList<>();
    Supplier<Instant> clock = Instant::now;

    Fixture(TestPki pki, Path dir) {
        this.pki = pki;
        this.dir = dir;
    }

    PkiAgent agent() throws Exception {
        return agent(Map.of());
    }

    PkiAgent agent(Map<String, Object> config) throws Exception {
        Path[] pem = pki.writePem(dir);
        Map<String, Object> c = new HashMap<>();
        c.put("provisionAnchors", pem[0].toString());
        c.put("provisionParties", pem[1].toString());
        c.putAll(config);
        return new PkiAgent(state, events, logger(logLines), config(PkiAgent.Config.class, c), dir.resolve("data"),
                HUB.toString(), Map.of("MODHUB_PKI_SECRET", "env-secret-0123456789"), HubKeys.drbg(), () -> clock.get());
    }

    static Logger logger(List<String> lines) {
        return (Logger) Proxy.newProxyInstance(Fixture.class.getClassLoader(), new Class<?>[] {Logger.class},
                (proxy, method, args) -> {
                    if (args != null && args.length > 0 && args[0] instanceof String s) {
                        lines.add(method.getName() + ": " + s);
                    }
                    return method.getReturnType() == boolean.class ? Boolean.FALSE : null;
                });
    }

    @SuppressWarnings("unchecked")
    static <A extends Annotation> A config(Class<A> type, Map<String, Object> values) {
        return (A) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            if (values.containsKey(method.getName())) {
                return values.get(method.getName());
            }
            return method.getDefaultValue();
        });
    }
}
