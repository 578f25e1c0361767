package org.modhub.distro;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OTA boot guard in the exported dev hub (bnd launcher, kept framework cache, start levels). The
 * test leaves the OTA files as the agent does when the hub dies mid-install (journal APPLYING, trial
 * set, jars in the store) and starts the hub: the guard, at start level 1, applies the trial before
 * anything else starts and the agent health-checks and commits it. Then a trial whose bundle cannot
 * start: the hub is killed (SIGKILL) during its probation; at the next start the guard counts the
 * second failed start and restores the known-good set before any other bundle starts.
 */
class OtaBootIT {
    @TempDir
    Path dir;

    static byte[] bundle(String bsn, String version, String activator) throws Exception {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", bsn);
        a.putValue("Bundle-Version", version);
        if (activator != null) {
            a.putValue("Bundle-Activator", activator);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(out, mf)) {
            jar.putNextEntry(new JarEntry("data/version.txt"));
            jar.write((bsn + " " + version).getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
        }
        return out.toByteArray();
    }

    static String store(Path ota, byte[] jar) throws Exception {
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(jar));
        Files.createDirectories(ota.resolve("store"));
        Files.write(ota.resolve("store").resolve(sha + ".jar"), jar);
        return sha;
    }

    static String set(String... bundleLines) {
        StringBuilder sb = new StringBuilder("modhub-bundle-set 1\n");
        for (String l : bundleLines) {
            sb.append(l).append('\n');
        }
        return sb.toString();
    }

    static Properties journal(Path ota) throws Exception {
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(ota.resolve("journal"))));
        return p;
    }

    static void await(String what, java.util.function.BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    @Test
    void guardAppliesATrialAndRestoresTheKnownGoodSetAfterTwoFailedStarts() throws Exception {
        Path data = dir.resolve("data");
        Path ota = data.resolve("ota");
        // first boot: the image; the guard moves itself to start level 1
        try (HubProcess hub = new HubProcess("dev", data)) {
            hub.awaitLine("modhub READY in", 120);
            hub.stop();
        }
        // the agent died while applying a trial that adds com.itest.boot 1.0.0
        byte[] v1 = bundle("com.itest.boot", "1.0.0", null);
        String sha1 = store(ota, v1);
        Files.writeString(ota.resolve("known-good.set"), set());
        Files.writeString(ota.resolve("trial.set"), set("bundle com.itest.boot 1.0.0 " + sha1 + " modhub-ota:com.itest.boot",
                "package itest-boot 1.0.0 com.itest.boot"));
        Files.writeString(ota.resolve("journal"), "phase=APPLYING\nattempts=0\nmaxFailedStarts=2\noperation=install\n"
                + "package=itest-boot\nversion=1.0.0\njob.id=77\nrequester=itest\nnotified=false\n");
        try (HubProcess hub = new HubProcess("dev", data)) {
            hub.awaitLine("modhub OTA boot guard: trial continues (failed starts 1 of 2)", 120);
            hub.awaitLine("modhub READY in", 120);
            await("commit", () -> {
                try {
                    return "IDLE".equals(journal(ota).getProperty("phase"));
                } catch (Exception e) {
                    return false;
                }
            });
            assertEquals("COMMITTED", journal(ota).getProperty("result"), hub.output.toString());
            assertTrue(Files.readString(ota.resolve("known-good.set")).contains("bundle com.itest.boot 1.0.0 " + sha1));
            hub.stop();
        }
        // a second trial: com.itest.boot 2.0.0 cannot start; the hub dies during its probation
        byte[] v2 = bundle("com.itest.boot", "2.0.0", "com.nowhere.Activator");
        String sha2 = store(ota, v2);
        Files.writeString(ota.resolve("trial.set"), set("bundle com.itest.boot 2.0.0 " + sha2 + " modhub-ota:com.itest.boot",
                "package itest-boot 2.0.0 com.itest.boot"));
        Files.writeString(ota.resolve("journal"), "phase=APPLYING\nattempts=0\nmaxFailedStarts=2\noperation=install\n"
                + "package=itest-boot\nversion=2.0.0\njob.id=78\nrequester=itest\nnotified=false\n");
        try (HubProcess hub = new HubProcess("dev", data)) {
            hub.awaitLine("modhub OTA boot guard: trial continues (failed starts 1 of 2)", 120);
            // not READY: a bundle of the trial is not active; the agent's health check waits out its window
            Thread.sleep(3000);
            assertEquals("TRIAL", journal(ota).getProperty("phase"), String.join("\n", hub.output));
            assertTrue(hub.output.stream().noneMatch(l -> l.contains("modhub READY")), String.join("\n", hub.output));
            hub.kill(); // SIGKILL during the health-check window
        }
        try (HubProcess hub = new HubProcess("dev", data)) {
            hub.awaitLine("modhub OTA boot guard: restored the known-good set", 120);
            hub.awaitLine("modhub READY in", 120);
            List<String> out = hub.output;
            int guard = indexOf(out, "modhub OTA boot guard: update com.itest.boot 2.0.0 -> 1.0.0");
            int core = indexOf(out, "[org.modhub.hub-core]");
            assertTrue(guard >= 0 && (core < 0 || guard < core), "the guard ran first:\n" + String.join("\n", out));
            Properties j = journal(ota);
            assertEquals("IDLE", j.getProperty("phase"));
            assertEquals("ROLLED_BACK", j.getProperty("result"));
            assertTrue(j.getProperty("reason").contains("restarted during the trial 2 time(s)"), j.toString());
            // the agent reports the rollback to the head end once it runs
            await("rollback notified", () -> {
                try {
                    return "true".equals(journal(ota).getProperty("notified"));
                } catch (Exception e) {
                    return false;
                }
            });
            hub.stop();
        }
    }

    static int indexOf(List<String> lines, String fragment) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(fragment)) {
                return i;
            }
        }
        return -1;
    }
}
