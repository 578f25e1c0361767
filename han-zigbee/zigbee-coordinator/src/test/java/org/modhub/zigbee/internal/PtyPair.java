package org.modhub.zigbee.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A pseudo-terminal pair made by socat: {@code dongle} for the far side, {@code hub} for the driver.
 * socat is a test requirement (.ci/run installs it); without it the tests fail with a clear message.
 */
final class PtyPair implements AutoCloseable {
    final Path dongle;
    final Path hub;
    private final Process socat;

    private PtyPair(Path dongle, Path hub, Process socat) {
        this.dongle = dongle;
        this.hub = hub;
        this.socat = socat;
    }

    static PtyPair start(Path dir) throws IOException, InterruptedException {
        Path dongle = dir.resolve("dongle");
        Path hub = dir.resolve("hub");
        ProcessBuilder pb = new ProcessBuilder("socat", "-d", "-d",
                "pty,raw,echo=0,link=" + dongle + ",mode=666", "pty,raw,echo=0,link=" + hub + ",mode=666");
        pb.redirectErrorStream(true);
        pb.redirectOutput(dir.resolve("socat.log").toFile());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new IOException("socat is needed for the pty tests (apt-get install -y socat): " + e.getMessage(), e);
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!(Files.exists(dongle) && Files.exists(hub))) {
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
        return new PtyPair(dongle, hub, p);
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
