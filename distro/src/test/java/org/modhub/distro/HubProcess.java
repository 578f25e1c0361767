package org.modhub.distro;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** One hub started through distro/run (a given variant, on a given data folder), with its output. */
final class HubProcess implements AutoCloseable {
    static final Path ROOT = Path.of(System.getProperty("modhub.root", "..")).toAbsolutePath().normalize();

    final Process process;
    final List<String> output = new CopyOnWriteArrayList<>();
    final int port;

    HubProcess(String variant, Path data) throws IOException {
        this(variant, data, "");
    }

    /** {@code javaOpts} are appended to MODHUB_JAVA_OPTS (a later -D of the same name wins). */
    HubProcess(String variant, Path data, String javaOpts) throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("distro/run").toString(), "--no-build", "--variant", variant,
                "--data", data.toString()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("MODHUB_JAVA_OPTS", "-Dmodhub.management.port=" + port + " -Dmodhub.hub.id=00-DB-12-34-56-78-90-A5 "
                + javaOpts);
        process = pb.start();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null;) {
                    output.add(line);
                }
            } catch (IOException ignored) {
                // ended
            }
        });
        reader.setDaemon(true);
        reader.start();
    }

    void awaitLine(String fragment, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (output.stream().anyMatch(l -> l.contains(fragment))) {
                return;
            }
            if (!process.isAlive()) {
                fail("hub exited (" + process.exitValue() + ") before '" + fragment + "':\n" + String.join("\n", output));
            }
            Thread.sleep(50);
        }
        fail("no '" + fragment + "' within " + seconds + " s:\n" + String.join("\n", output));
    }

    String[] health() throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + port + "/health").openConnection();
        c.setConnectTimeout(5_000);
        c.setReadTimeout(10_000);
        int code = c.getResponseCode();
        byte[] body = (code < 400 ? c.getInputStream() : c.getErrorStream()).readAllBytes();
        return new String[] { Integer.toString(code), new String(body, StandardCharsets.UTF_8) };
    }

    /** Health once no component is STARTING any more (or after 60 s). */
    String awaitSettled() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String[] h = healthOnceListening(deadline);
        while (h[1].contains("\"STARTING\"") && System.nanoTime() < deadline) {
            Thread.sleep(100);
            h = health();
        }
        return h[1];
    }

    /** The management endpoint starts its HTTP server on its own thread after READY: wait for it to listen. */
    private String[] healthOnceListening(long deadline) throws Exception {
        while (true) {
            try {
                return health();
            } catch (java.net.ConnectException e) {
                if (System.nanoTime() > deadline || !process.isAlive()) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    void stop() throws InterruptedException {
        process.destroy(); // SIGTERM: clean stop
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
        }
    }

    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(20, TimeUnit.SECONDS); // SIGKILL of the JVM (exec'd by distro/run)
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            kill();
        }
    }
}
