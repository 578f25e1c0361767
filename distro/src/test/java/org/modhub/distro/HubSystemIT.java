package org.modhub.distro;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The product as a newcomer runs it: {@code distro/run} starts the exported dev variant, which
 * reaches READY with {@code /health} UP, stops cleanly on SIGTERM, starts again on its own data,
 * and refuses a corrupt store at start with a clear report while leaving the file untouched.
 */
class HubSystemIT {
    private static final Path ROOT = Path.of(System.getProperty("modhub.root", "..")).toAbsolutePath().normalize();

    @TempDir
    Path dir;

    private Process hub;
    private final List<String> output = new CopyOnWriteArrayList<>();
    private int port;

    @AfterEach
    void stop() throws Exception {
        if (hub != null && hub.isAlive()) {
            hub.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
        }
    }

    private void start(Path data) throws IOException {
        output.clear();
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("distro/run").toString(), "--no-build", "--data",
                data.toString()).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("MODHUB_JAVA_OPTS", "-Dmodhub.management.port=" + port + " -Dmodhub.hub.id=00-DB-12-34-56-78-90-A4");
        hub = pb.start();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(hub.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    output.add(line);
                }
            } catch (IOException ignored) {
                // process ended
            }
        });
        reader.setDaemon(true);
        reader.start();
    }

    private void awaitLine(String fragment, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (output.stream().anyMatch(l -> l.contains(fragment))) {
                return;
            }
            if (!hub.isAlive()) {
                fail("hub exited (" + hub.exitValue() + ") before '" + fragment + "':\n" + String.join("\n", output));
            }
            Thread.sleep(50);
        }
        fail("no '" + fragment + "' within " + seconds + " s:\n" + String.join("\n", output));
    }

    private String[] health() throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + port + "/health").openConnection();
        c.setConnectTimeout(5_000);
        c.setReadTimeout(10_000);
        int code = c.getResponseCode();
        byte[] body = (code < 400 ? c.getInputStream() : c.getErrorStream()).readAllBytes();
        return new String[] {Integer.toString(code), new String(body, StandardCharsets.UTF_8)};
    }

    /**
     * After READY a component may still finish starting (the PKI agent opens its key store), and the
     * management endpoint (Jetty) starts only after READY: wait for it to listen, then for UP.
     */
    private String[] awaitUp() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String[] health = null;
        while (health == null) {
            try {
                health = health();
            } catch (java.net.ConnectException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
        while (!"200".equals(health[0]) && System.nanoTime() < deadline) {
            assertTrue(health[1].startsWith("{\"state\":\"STARTING\""), "not UP and not starting: " + health[1]);
            Thread.sleep(100);
            health = health();
        }
        return health;
    }

    @Test
    void runsReadyHealthyStopsCleanlyAndRestarts() throws Exception {
        Path data = dir.resolve("data");
        start(data);
        awaitLine("modhub READY in", 120);
        String[] health = awaitUp();
        assertEquals("200", health[0], health[1]);
        assertTrue(health[1].startsWith("{\"state\":\"UP\""), health[1]);

        hub.destroy(); // SIGTERM
        assertTrue(hub.waitFor(30, TimeUnit.SECONDS), "hub did not stop on SIGTERM");
        // a clean stop closes the store: SQLite checkpoints and removes the write-ahead logs
        assertTrue(Files.exists(data.resolve("hub.db")));
        assertFalse(Files.exists(data.resolve("hub.db-wal")), "hub.db was not closed cleanly");
        assertFalse(Files.exists(data.resolve("outbox.db-wal")), "outbox.db was not closed cleanly");

        start(data);
        awaitLine("modhub READY in", 120);
        assertEquals("200", awaitUp()[0]);
    }

    @Test
    void corruptStoreIsReportedAndLeftUntouched() throws Exception {
        Path data = dir.resolve("data");
        Files.createDirectories(data);
        byte[] junk = "not a database, but somebody's data\n".getBytes(StandardCharsets.UTF_8);
        Files.write(data.resolve("hub.db"), junk);
        start(data);
        awaitLine("STORE CORRUPT", 120);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String[] health = {"", ""};
        while (!health[1].contains("STORE CORRUPT") && System.nanoTime() < deadline) {
            try {
                health = health();
            } catch (java.net.ConnectException e) {
                // the management endpoint starts once the hub is READY or DEGRADED
            }
            Thread.sleep(100);
        }
        assertEquals("503", health[0], health[1]);
        assertTrue(health[1].startsWith("{\"state\":\"DEGRADED\""), health[1]);
        assertTrue(health[1].contains("STORE CORRUPT"), health[1]);
        assertTrue(hub.isAlive(), "the hub keeps running");
        hub.destroy();
        hub.waitFor(30, TimeUnit.SECONDS);
        assertArrayEquals(junk, Files.readAllBytes(data.resolve("hub.db")), "the corrupt store was modified");
    }
}
