package org.modhub.ota.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.Version;
import org.osgi.framework.VersionRange;

/** The transactional install on a real Felix framework: commit, rollback, failed starts, uninstall. */
class TransactionsTest {
    static TestKit kit;

    @TempDir
    Path dir;

    final List<String> log = new ArrayList<>();

    @BeforeAll
    static void keys() throws Exception {
        kit = new TestKit();
    }

    static Map<String, byte[]> image() throws Exception {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("com.acme.a", TestKit.bundle("com.acme.a", "1.0.0"));
        m.put("com.acme.b", TestKit.bundle("com.acme.b", "1.0.0"));
        return m;
    }

    Fw boot() throws Exception {
        Fw fw = new Fw(dir.resolve("framework"));
        // what the guard does at start level 1, before the image's bundles start
        fw.fw.start();
        Transactions.boot(fw.ctx(), dir.resolve("ota"), log::add, bundles -> bundles.forEach(b -> {
            try {
                b.start();
            } catch (Exception e) {
                log.add("start failed: " + e.getMessage());
            }
        }));
        fw.image(image());
        return fw;
    }

    static Transactions.HealthCheck allActive() {
        return touched -> {
            for (Bundle b : touched) {
                if (b.getState() != Bundle.ACTIVE) {
                    return Optional.of(b.getSymbolicName() + " not active");
                }
            }
            return Optional.empty();
        };
    }

    PackageReader.Verified read(Fw fw, TestKit.Pkg p) throws Exception {
        Path f = p.write(dir.resolve("p-" + System.nanoTime() + ".dp"));
        return new PackageReader(kit.verifier(), kit.downgrades(), dir.resolve("ota/store"), 8 << 20, b -> false, false)
                .read(f, new PackageReader.Environment() {
                    @Override
                    public Map<String, Version> installedVersions() {
                        Map<String, Version> m = new LinkedHashMap<>();
                        Reconciler.installed(fw.ctx()).forEach((k, v) -> m.put(k, v.getVersion()));
                        return m;
                    }

                    @Override
                    public boolean exported(String pkg, VersionRange range) {
                        return false;
                    }
                });
    }

    Transactions tx(Fw fw) {
        return new Transactions(fw.ctx(), dir.resolve("ota"), log::add);
    }

    static Map<String, String> job(long id) {
        return Map.of("job.id", Long.toString(id), "requester", "test");
    }

    @Test
    void installCommitsAndSurvivesRestart() throws Exception {
        String committed;
        try (Fw fw = boot()) {
            assertEquals("com.acme.a:1.0.0,com.acme.b:1.0.0", fw.identity());
            PackageReader.Verified v = read(fw, kit.pkg("acme", "1.1.0").bundle("a.jar", TestKit.bundle("com.acme.a", "1.1.0"))
                    .bundle("c.jar", TestKit.bundle("com.acme.c", "1.0.0")));
            List<String> phases = new ArrayList<>();
            Transactions.Result r = tx(fw).install(v, job(1), allActive(), Duration.ofSeconds(10), 2, phases::add);
            assertEquals(OtaResult.COMMITTED, r.result(), r.message());
            assertEquals(List.of("stage", "apply", "health", "commit", "committed"), phases);
            assertEquals("com.acme.a:1.1.0,com.acme.b:1.0.0,com.acme.c:1.0.0", fw.identity());
            assertTrue(fw.allActive());
            assertEquals(fw.identity(), r.runningSet());
            Journal j = tx(fw).journal();
            assertEquals(Journal.Phase.IDLE, j.phase());
            assertEquals("COMMITTED", j.get("result"));
            assertFalse(Files.exists(dir.resolve("ota/trial.set")));
            committed = fw.identity();
            // the same package again: nothing to do
            assertEquals(OtaResult.ALREADY_DONE, tx(fw).install(v, job(2), allActive(), Duration.ofSeconds(5), 2, p -> { })
                    .result());
        }
        try (Fw fw = boot()) {
            assertEquals(committed, fw.identity());
            assertTrue(fw.allActive());
            assertEquals(committed, BundleSet.parse(Files.readAllBytes(dir.resolve("ota/known-good.set"))).identity());
        }
    }

    @Test
    void bundleThatCannotStartIsRolledBackToTheImageJar() throws Exception {
        try (Fw fw = boot()) {
            PackageReader.Verified v = read(fw, kit.pkg("acme", "2.0.0")
                    .bundle("a.jar", TestKit.bundle("com.acme.a", "2.0.0", "com.nowhere.Activator", null, null, 0))
                    .bundle("c.jar", TestKit.bundle("com.acme.c", "2.0.0")));
            Transactions.Result r = tx(fw).install(v, job(3), allActive(), Duration.ofSeconds(10), 2, p -> { });
            assertEquals(OtaResult.ROLLED_BACK, r.result());
            assertTrue(r.message().contains("failed to start"), r.message());
            assertEquals("com.acme.a:1.0.0,com.acme.b:1.0.0", fw.identity());
            assertTrue(fw.allActive());
            assertEquals("ROLLED_BACK", tx(fw).journal().get("result"));
            // the restored com.acme.a is the image's content
            Bundle a = Reconciler.installed(fw.ctx()).get("com.acme.a");
            assertEquals("com.acme.a 1.0.0", new String(a.getEntry("data/version.txt").openStream().readAllBytes()));
        }
    }

    @Test
    void failedHealthCheckRollsBack() throws Exception {
        try (Fw fw = boot()) {
            PackageReader.Verified v = read(fw, kit.pkg("acme", "1.1.0").bundle("a.jar", TestKit.bundle("com.acme.a", "1.1.0")));
            Transactions.Result r = tx(fw).install(v, job(4), touched -> Optional.of("head end unreachable"),
                    Duration.ofSeconds(1), 2, p -> { });
            assertEquals(OtaResult.ROLLED_BACK, r.result());
            assertTrue(r.message().contains("head end unreachable"), r.message());
            assertEquals("com.acme.a:1.0.0,com.acme.b:1.0.0", fw.identity());
        }
    }

    @Test
    void twoRestartsDuringTheTrialBootTheKnownGoodSet() throws Exception {
        String trial = "com.acme.a:1.1.0,com.acme.b:1.1.0";
        try (Fw fw = boot()) {
            PackageReader.Verified v = read(fw, kit.pkg("acme", "1.1.0").bundle("a.jar", TestKit.bundle("com.acme.a", "1.1.0"))
                    .bundle("b.jar", TestKit.bundle("com.acme.b", "1.1.0")));
            // the hub "dies" during the health check
            assertThrows(IllegalStateException.class, () -> tx(fw).install(v, job(5), touched -> {
                throw new IllegalStateException("power cut");
            }, Duration.ofSeconds(5), 2, p -> { }));
            assertEquals(trial, fw.identity());
            assertEquals(Journal.Phase.TRIAL, tx(fw).journal().phase());
        }
        try (Fw fw = boot()) {
            // first failed start: the trial goes on
            assertEquals(trial, fw.identity());
            assertEquals(1, tx(fw).journal().getInt("attempts", 0));
            assertEquals(Journal.Phase.TRIAL, tx(fw).journal().phase());
        }
        try (Fw fw = boot()) {
            // second failed start: the guard restored the known-good set before anything started
            assertEquals("com.acme.a:1.0.0,com.acme.b:1.0.0", fw.identity());
            Journal j = tx(fw).journal();
            assertEquals(Journal.Phase.IDLE, j.phase());
            assertEquals("ROLLED_BACK", j.get("result"));
            assertEquals("false", j.get("notified"));
            assertTrue(j.get("reason").contains("restarted"), j.get("reason"));
            assertTrue(fw.allActive());
        }
    }

    @Test
    void restartDuringTrialThenHealthyCommits() throws Exception {
        try (Fw fw = boot()) {
            PackageReader.Verified v = read(fw, kit.pkg("acme", "1.1.0").bundle("a.jar", TestKit.bundle("com.acme.a", "1.1.0")));
            assertThrows(IllegalStateException.class, () -> tx(fw).install(v, job(6), touched -> {
                throw new IllegalStateException("power cut");
            }, Duration.ofSeconds(5), 2, p -> { }));
        }
        try (Fw fw = boot()) {
            Optional<Transactions.Result> r = tx(fw).resumeTrial(allActive(), Duration.ofSeconds(5), p -> { });
            assertEquals(OtaResult.COMMITTED, r.orElseThrow().result());
            assertEquals("com.acme.a:1.1.0,com.acme.b:1.0.0", fw.identity());
        }
    }

    @Test
    void uninstallRemovesOnlyWhatAnUpdateInstalled() throws Exception {
        try (Fw fw = boot()) {
            PackageReader.Verified v = read(fw, kit.pkg("extras", "1.0.0").bundle("c.jar", TestKit.bundle("com.acme.c", "1.0.0"))
                    .bundle("d.jar", TestKit.bundle("com.acme.d", "1.0.0")));
            assertEquals(OtaResult.COMMITTED, tx(fw).install(v, job(7), allActive(), Duration.ofSeconds(5), 2, p -> { }).result());
            PackageReader.Verified w = read(fw, kit.pkg("acme", "1.1.0").bundle("a.jar", TestKit.bundle("com.acme.a", "1.1.0")));
            assertEquals(OtaResult.COMMITTED, tx(fw).install(w, job(8), allActive(), Duration.ofSeconds(5), 2, p -> { }).result());
            assertEquals("com.acme.a:1.1.0,com.acme.b:1.0.0,com.acme.c:1.0.0,com.acme.d:1.0.0", fw.identity());
            assertEquals(OtaResult.FAILED, tx(fw).uninstall("acme", job(9), allActive(), Duration.ofSeconds(5), 2, p -> { })
                    .result());
            Transactions.Result r = tx(fw).uninstall("extras", job(10), allActive(), Duration.ofSeconds(5), 2, p -> { });
            assertEquals(OtaResult.COMMITTED, r.result(), r.message());
            assertEquals("com.acme.a:1.1.0,com.acme.b:1.0.0", fw.identity());
            assertEquals(List.of("acme"), List.copyOf(tx(fw).running().packages().keySet()));
        }
    }
}
