package org.modhub.distro;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modhub.testing.mosquitto.Mosquitto;

/**
 * The operator's path end to end, exactly as README "Operator tool" shows it: {@code hubctl dev-pki}
 * makes a dev root and Manufacturer; a dev hub started with {@code distro/run} is provisioned with them
 * on its first boot and talks to a local mosquitto (started here); {@code hubctl package}, {@code serve},
 * {@code deploy} and {@code watch} take a bundle to COMMITTED; {@code hubctl bundles} lists it active.
 */
class HubctlIT {
    static final String HUB_ID = "00-0D-6F-00-00-00-00-01";
    static final String CLIENT_ID = "000D6F0000000001";

    @TempDir
    Path dir;

    record Result(int exit, String out) {
    }

    static Result hubctl(Path cwd, int timeoutSeconds, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(HubProcess.ROOT.resolve("tools/hubctl/hubctl").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        byte[][] out = new byte[1][];
        Thread reader = new Thread(() -> {
            try {
                out[0] = p.getInputStream().readAllBytes();
            } catch (IOException e) {
                out[0] = new byte[0];
            }
        });
        reader.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        reader.join(10_000);
        String text = new String(out[0] == null ? new byte[0] : out[0], StandardCharsets.UTF_8);
        System.out.println("$ hubctl " + String.join(" ", args) + "\n" + text);
        return new Result(p.isAlive() ? -1 : p.exitValue(), text);
    }

    @Test
    void hubctlDeploysAPackageToADevHubUntilCommitted() throws Exception {
        assertTrue(Mosquitto.available(), "mosquitto is not installed (apt-get install -y mosquitto)");
        try (Mosquitto broker = new Mosquitto().start()) {
            String uri = "tcp://127.0.0.1:" + broker.port();
            // 1. the dev PKI: root + Manufacturer + Recovery
            Result pki = hubctl(dir, 120, "dev-pki", "--dir", "pki");
            assertEquals(0, pki.exit(), pki.out());
            Path root = dir.resolve("pki/root.pem");
            Path parties = dir.resolve("pki/parties.pem");
            assertTrue(Files.isRegularFile(root) && Files.isRegularFile(parties), pki.out());

            // 2. a dev hub provisioned with that trust anchor on its first boot, on the local broker
            String opts = "-Dmodhub.headend.broker=" + uri + " -Dmodhub.hub.id=" + HUB_ID
                    + " -Dmodhub.pki.provisionAnchors=" + root + " -Dmodhub.pki.provisionParties=" + parties;
            try (HubProcess hub = new HubProcess("dev", dir.resolve("data"), opts)) {
                hub.awaitLine("modhub READY in", 180);
                hub.awaitSettled();
                // the hub answers over the broker (its head-end session is connected and subscribed)
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                Result ping;
                do {
                    ping = hubctl(dir, 60, "bundles", "--broker", uri, "--hub", CLIENT_ID, "--timeout", "5");
                } while (ping.exit() != 0 && System.nanoTime() < deadline);
                assertEquals(0, ping.exit(), ping.out() + "\n" + String.join("\n", hub.output));

                // 3. a bundle, packaged and signed with the dev Manufacturer key
                Files.createDirectories(dir.resolve("www"));
                Files.write(dir.resolve("com.acme.demo-1.0.0.jar"), OtaBootIT.bundle("com.acme.demo", "1.0.0", null));
                Result pkg = hubctl(dir, 60, "package", "--name", "demo", "--version", "1.0.0", "--signer",
                        "00-11-22-33-44-55-66-77", "--key", "pki/manufacturer.key", "--out", "www/demo-1.0.0.dp",
                        "com.acme.demo-1.0.0.jar");
                assertEquals(0, pkg.exit(), pkg.out());

                // 4. published over HTTP
                Process serve = new ProcessBuilder(HubProcess.ROOT.resolve("tools/hubctl/hubctl").toString(), "serve",
                        "--dir", "www", "--port", "0").directory(dir.toFile()).redirectErrorStream(true)
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
                try {
                    List<String> served = new CopyOnWriteArrayList<>();
                    Thread t = new Thread(() -> {
                        try (BufferedReader in = new BufferedReader(new InputStreamReader(serve.getInputStream(),
                                StandardCharsets.UTF_8))) {
                            for (String l; (l = in.readLine()) != null;) {
                                served.add(l);
                            }
                        } catch (IOException ignored) {
                            // ended
                        }
                    });
                    t.setDaemon(true);
                    t.start();
                    OtaBootIT.await("hubctl serve to list the package", () -> served.stream()
                            .anyMatch(l -> l.contains("/demo-1.0.0.dp ")));
                    String url = served.stream().filter(l -> l.contains("/demo-1.0.0.dp ")).findFirst().orElseThrow()
                            .split(" ")[0];

                    // 5. deployed and watched to COMMITTED
                    Result deploy = hubctl(dir, 120, "deploy", "--broker", uri, "--hub", CLIENT_ID, "--uri", url, "--name",
                            "demo", "--version", "1.0.0", "--file", "www/demo-1.0.0.dp", "--job", "4711");
                    assertEquals(0, deploy.exit(), deploy.out() + "\n" + String.join("\n", hub.output));
                    Result watch = hubctl(dir, 400, "watch", "--broker", uri, "--hub", CLIENT_ID, "--job", "4711",
                            "--timeout", "300");
                    assertEquals(0, watch.exit(), watch.out() + "\n" + String.join("\n", hub.output));
                    assertTrue(watch.out().contains("COMPLETED COMMITTED"), watch.out());
                    assertTrue(watch.out().contains(CLIENT_ID + " COMMITTED"), watch.out());
                } finally {
                    serve.destroy();
                    serve.waitFor(10, TimeUnit.SECONDS);
                }

                // 6. the hub runs it, and says so
                Result bundles = hubctl(dir, 60, "bundles", "--broker", uri, "--hub", CLIENT_ID);
                assertEquals(0, bundles.exit(), bundles.out());
                assertTrue(bundles.out().lines().anyMatch(l -> l.contains("com.acme.demo") && l.contains("1.0.0")
                        && l.contains("ACTIVE")), bundles.out());
                Result packages = hubctl(dir, 60, "packages", "--broker", uri, "--hub", CLIENT_ID);
                assertEquals(0, packages.exit(), packages.out());
                assertTrue(packages.out().lines().anyMatch(l -> l.startsWith("demo") && l.contains("1.0.0")),
                        packages.out());
                hub.stop();
            }
        }
    }
}
