package org.modhub.ota.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modhub.api.store.StateStore;
import org.osgi.framework.Version;
import org.osgi.framework.VersionRange;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/** Versioned configuration migrations: applied with the trial, recorded, undone by a rollback. */
class ConfigMigrationsTest {
    static TestKit kit;

    @TempDir
    Path dir;

    final Map<String, Hashtable<String, Object>> configs = new ConcurrentHashMap<>();
    final Map<String, byte[]> state = new ConcurrentHashMap<>();

    @BeforeAll
    static void keys() throws Exception {
        kit = new TestKit();
    }

    ConfigurationAdmin configAdmin() {
        return (ConfigurationAdmin) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { ConfigurationAdmin.class },
                (p, m, a) -> {
                    if (m.getName().equals("getConfiguration")) {
                        String pid = (String) a[0];
                        return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { Configuration.class },
                                (q, n, b) -> switch (n.getName()) {
                                    case "getProperties" -> configs.containsKey(pid) ? new Hashtable<>(configs.get(pid)) : null;
                                    case "update" -> {
                                        @SuppressWarnings("unchecked")
                                        Dictionary<String, Object> d = (Dictionary<String, Object>) b[0];
                                        Hashtable<String, Object> h = new Hashtable<>();
                                        for (String k : Collections.list(d.keys())) {
                                            h.put(k, d.get(k));
                                        }
                                        configs.put(pid, h);
                                        yield null;
                                    }
                                    case "getPid" -> pid;
                                    default -> throw new UnsupportedOperationException(n.getName());
                                });
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }

    StateStore stateStore() {
        return new StateStore() {
            public Optional<byte[]> get(String ns, String key) {
                return Optional.ofNullable(state.get(ns + "/" + key));
            }

            public void put(String ns, String key, byte[] value) {
                state.put(ns + "/" + key, value);
            }

            public boolean compareAndSet(String ns, String key, byte[] expected, byte[] value) {
                throw new UnsupportedOperationException();
            }

            public boolean remove(String ns, String key) {
                return state.remove(ns + "/" + key) != null;
            }

            public Map<String, byte[]> entries(String ns) {
                Map<String, byte[]> m = new HashMap<>();
                state.forEach((k, v) -> {
                    if (k.startsWith(ns + "/")) {
                        m.put(k.substring(ns.length() + 1), v);
                    }
                });
                return m;
            }
        };
    }

    static byte[] bundleWithSteps(String version, Map<Integer, String> steps) throws Exception {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", "com.acme.a");
        a.putValue("Bundle-Version", version);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(out, mf)) {
            for (var e : steps.entrySet()) {
                jar.putNextEntry(new JarEntry(ConfigMigrations.PREFIX + e.getKey() + ".properties"));
                jar.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                jar.closeEntry();
            }
        }
        return out.toByteArray();
    }

    @Test
    void stepsRunWithTheTrialAndAreUndoneByARollback() throws Exception {
        configs.put("com.acme.a", new Hashtable<>(Map.of("port", 8080, "obsolete", "x", "service.pid", "com.acme.a")));
        try (Fw fw = new Fw(dir.resolve("framework"))) {
            fw.start();
            fw.image(TransactionsTest.image());
            Transactions tx = new Transactions(fw.ctx(), dir.resolve("ota"), line -> { });
            ConfigMigrations migrations = new ConfigMigrations(configAdmin(), stateStore(), line -> { });
            tx.migrations(migrations);
            PackageReader reader = new PackageReader(kit.verifier(), kit.downgrades(), dir.resolve("ota/store"), 8 << 20,
                    b -> false, false);
            PackageReader.Environment env = new PackageReader.Environment() {
                public Map<String, Version> installedVersions() {
                    Map<String, Version> m = new LinkedHashMap<>();
                    Reconciler.installed(fw.ctx()).forEach((k, v) -> m.put(k, v.getVersion()));
                    return m;
                }

                public boolean exported(String pkg, VersionRange range) {
                    return false;
                }
            };
            String step1 = "pid=com.acme.a\nrename.port=listenPort\nremove=obsolete\ndefault.mode=fast\n";
            Path p1 = kit.pkg("acme", "1.1.0").bundle("a.jar", bundleWithSteps("1.1.0", Map.of(1, step1)))
                    .write(dir.resolve("p1.dp"));
            Transactions.Result r = tx.install(reader.read(p1, env), Map.of("job.id", "1"), TransactionsTest.allActive(),
                    Duration.ofSeconds(5), 2, ph -> { });
            assertEquals(OtaResult.COMMITTED, r.result(), r.message());
            Hashtable<String, Object> c = configs.get("com.acme.a");
            assertEquals(8080, c.get("listenPort"));
            assertEquals("fast", c.get("mode"));
            assertEquals(null, c.get("port"));
            assertEquals(null, c.get("obsolete"));
            assertEquals(1, migrations.recorded("com.acme.a"));
            Map<String, Object> committed = new HashMap<>(c);
            committed.remove("service.pid"); // ConfigurationAdmin sets it itself

            // version 1.2.0 adds step 2 and fails its health check: configuration and step count come back
            String step2 = "pid=com.acme.a\nrename.listenPort=port2\n";
            Path p2 = kit.pkg("acme", "1.2.0").bundle("a.jar", bundleWithSteps("1.2.0", Map.of(1, step1, 2, step2)))
                    .write(dir.resolve("p2.dp"));
            Transactions.Result r2 = tx.install(reader.read(p2, env), Map.of("job.id", "2"),
                    touched -> Optional.of("broken"), Duration.ofMillis(500), 2, ph -> {
                        if (ph.equals("health")) {
                            assertEquals(8080, configs.get("com.acme.a").get("port2"));
                        }
                    });
            assertEquals(OtaResult.ROLLED_BACK, r2.result());
            Map<String, Object> restored = new HashMap<>(configs.get("com.acme.a"));
            restored.remove("service.pid");
            assertEquals(committed, restored);
            assertEquals(1, migrations.recorded("com.acme.a"));
            assertEquals(false, state.containsKey(ConfigMigrations.NS + "/undo/2"));
        }
    }
}
