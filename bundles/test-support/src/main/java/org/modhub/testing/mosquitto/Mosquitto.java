package org.modhub.testing.mosquitto;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A real Mosquitto broker for tests: {@code mosquitto -c <generated config>} on a free loopback port,
 * no persistence, no pid file, logging to its own file. {@link #start()} returns once it accepts TCP
 * connections; {@link #stop()} ends it (SIGTERM, then SIGKILL); {@link #restart()} keeps the port.
 * Needs the {@code mosquitto} executable (Debian package {@code mosquitto}); see {@link #available()}.
 */
public final class Mosquitto implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    private final Path dir;
    private final String executable;
    private int port;
    private Process process;
    private boolean tls;
    private boolean requireCertificate;

    public Mosquitto() {
        this(0);
    }

    /** @param port the port to listen on; 0 picks a free one */
    public Mosquitto(int port) {
        this.executable = find();
        try {
            this.dir = Files.createTempDirectory("modhub-mosquitto-");
            // started as root, mosquitto drops to the mosquitto user: let it read its config
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.port = port;
    }

    /**
     * Makes the listener TLS-only (before {@link #start()}): the CA that issues client certificates, the
     * broker's certificate and key, all PEM; with {@code requireCertificate} every client must present a
     * certificate issued by that CA ({@code require_certificate true}).
     */
    public synchronized Mosquitto tls(String caPem, String certPem, String keyPem, boolean requireCertificate)
            throws IOException {
        for (String[] f : new String[][] {{"ca.crt", caPem}, {"server.crt", certPem}, {"server.key", keyPem}}) {
            Path file = dir.resolve(f[0]);
            Files.writeString(file, f[1], StandardCharsets.US_ASCII);
            // the broker, started as root, reads them as the mosquitto user
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        }
        this.tls = true;
        this.requireCertificate = requireCertificate;
        return this;
    }

    /** Whether a mosquitto executable is installed. */
    public static boolean available() {
        try {
            find();
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    private static String find() {
        for (String p : new String[] {"/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto",
                "/usr/local/bin/mosquitto"}) {
            if (Files.isExecutable(Path.of(p))) {
                return p;
            }
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(":")) {
                if (Files.isExecutable(Path.of(d, "mosquitto"))) {
                    return Path.of(d, "mosquitto").toString();
                }
            }
        }
        throw new IllegalStateException("mosquitto is not installed (apt-get install -y mosquitto)");
    }

    public int port() {
        return port;
    }

    /** {@code tcp://127.0.0.1:PORT}, or {@code ssl://127.0.0.1:PORT} with {@link #tls}. */
    public String uri() {
        return (tls ? "ssl" : "tcp") + "://127.0.0.1:" + port;
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Starts the broker (a free port is picked on the first start) and waits until it listens. */
    public synchronized Mosquitto start() {
        if (isRunning()) {
            return this;
        }
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            int p = port != 0 ? port : freePort();
            try {
                launch(p);
                port = p;
                return this;
            } catch (IOException e) {
                last = e;
                if (port != 0 && attempt >= 2) {
                    break; // a fixed port that stays taken
                }
            }
        }
        throw new IllegalStateException("mosquitto did not start: " + last.getMessage() + "\n" + log(), last);
    }

    private void launch(int p) throws IOException {
        Path conf = dir.resolve("mosquitto.conf");
        String config = String.join("\n",
                "listener " + p + " 127.0.0.1",
                "allow_anonymous true",
                "persistence false",
                "set_tcp_nodelay true",
                "log_dest stdout",
                "log_type error",
                "log_type warning",
                "log_type notice",
                "log_type information",
                "max_inflight_messages 0",
                "max_queued_messages 100000",
                tls ? "cafile " + dir.resolve("ca.crt") : "",
                tls ? "certfile " + dir.resolve("server.crt") : "",
                tls ? "keyfile " + dir.resolve("server.key") : "",
                tls ? "require_certificate " + requireCertificate : "",
                "");
        Files.writeString(conf, config, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-r--r--"));
        Path out = dir.resolve("mosquitto.log");
        ProcessBuilder pb = new ProcessBuilder(executable, "-c", conf.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()));
        Process proc = pb.start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!proc.isAlive()) {
                throw new IOException("mosquitto exited with " + proc.exitValue() + " on port " + p);
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", p), 200);
                process = proc;
                return;
            } catch (IOException notYet) {
                sleep(20);
            }
        }
        proc.destroyForcibly();
        throw new IOException("mosquitto not listening on " + p + " after " + START_TIMEOUT);
    }

    /** Stops the broker: SIGTERM, then SIGKILL after 10 s. */
    public synchronized void stop() {
        Process p = process;
        process = null;
        if (p == null) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
    }

    /** Stops and starts the broker on the same port (its sessions and queues are lost). */
    public synchronized void restart() {
        stop();
        start();
    }

    /** What the broker logged so far. */
    public String log() {
        try {
            Path out = dir.resolve("mosquitto.log");
            return Files.exists(out) ? Files.readString(out, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    @Override
    public synchronized void close() {
        stop();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // temp files; best effort
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
