package org.modhub.testing.pty;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A pseudo-terminal pair made by socat: {@code far} for the emulated device (named as the test asks: modem,
 * dongle ...), {@code hub} for the driver.
 * socat is a test requirement (.ci/run installs it); without it the tests fail with a clear message.
 */
public final class PtyPair implements AutoCloseable {
    public final Path far;
    public final Path hub;
    private final Process socat;

    private PtyPair(Path far, Path hub, Process socat) {
        this.far = far;
        this.hub = hub;
        this.socat = socat;
    }

    /** Whether socat is on the PATH (tests that need it may assume it). */
    public static boolean socatInstalled() {
        for (String p : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!p.isEmpty() && Files.isExecutable(Path.of(p, "socat"))) {
                return true;
            }
        }
        return false;
    }

    public static PtyPair start(Path dir, String farName) throws IOException, InterruptedException {
        Path far = dir.resolve(farName);
        Path hub = dir.resolve("hub");
        ProcessBuilder pb = new ProcessBuilder("socat", "-d", "-d",
                "pty,raw,echo=0,link=" + far + ",mode=666", "pty,raw,echo=0,link=" + hub + ",mode=666");
        pb.redirectErrorStream(true);
        pb.redirectOutput(dir.resolve("socat.log").toFile());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new IOException("socat is needed for the pty tests (apt-get install -y socat): " + e.getMessage(), e);
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!(Files.exists(far) && Files.exists(hub))) {
            if (!p.isAlive()) {
                throw new IOException("socat exited with " + p.exitValue() + ": "
                        + Files.readString(dir.resolve("socat.log")));
            }
            if (System.nanoTime() > end) {
                p.destroyForcibly();
                throw new IOException("socat made no ptys within 20 s");
            }
            Thread.sleep(20);
        }
        return new PtyPair(far, hub, p);
    }

    @Override
    public void close() {
        socat.destroy();
        try {
            if (!socat.waitFor(5, TimeUnit.SECONDS)) {
                socat.destroyForcibly();
                socat.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            socat.destroyForcibly();
        }
    }
}
