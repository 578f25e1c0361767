package org.modhub.lastgasp.internal.sysfs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import org.modhub.api.power.PowerState;

/**
 * Reads a Linux value file: {@code /sys/class/power_supply/<name>/online} ("1" online, "0" not) or a
 * GPIO line's {@code value} ("1"/"0"; active-low lines set {@code onValue} to "0"). A change is
 * accepted only after {@code debounceReads} consecutive equal reads, so contact bounce on a GPIO
 * does not become a flap.
 */
public final class ValueFileReader {
    private final Path path;
    private final String onValue;
    private final int debounceReads;
    private PowerState stable;
    private PowerState candidate;
    private int candidateReads;

    public ValueFileReader(Path path, String onValue, int debounceReads) {
        this.path = Objects.requireNonNull(path, "path");
        this.onValue = Objects.requireNonNull(onValue, "onValue").trim();
        if (this.onValue.isEmpty()) {
            throw new IllegalArgumentException("onValue is empty");
        }
        if (debounceReads < 1) {
            throw new IllegalArgumentException("debounceReads must be at least 1: " + debounceReads);
        }
        this.debounceReads = debounceReads;
    }

    /** Reads the file once. */
    public PowerState read() throws IOException {
        byte[] bytes = Files.readAllBytes(path);
        if (bytes.length > 64) {
            throw new IOException(path + " holds " + bytes.length + " bytes, not a value");
        }
        String v = new String(bytes, StandardCharsets.US_ASCII).trim();
        if (v.isEmpty()) {
            throw new IOException(path + " is empty");
        }
        return v.equals(onValue) ? PowerState.ON : PowerState.OFF;
    }

    /**
     * Polls once: the new stable state if it changed, else empty. The first successful poll
     * establishes the state and returns it.
     */
    public Optional<PowerState> poll() throws IOException {
        PowerState now = read();
        if (stable == null) {
            stable = now;
            return Optional.of(now);
        }
        if (now == stable) {
            candidate = null;
            candidateReads = 0;
            return Optional.empty();
        }
        if (now != candidate) {
            candidate = now;
            candidateReads = 0;
        }
        if (++candidateReads >= debounceReads) {
            stable = now;
            candidate = null;
            candidateReads = 0;
            return Optional.of(now);
        }
        return Optional.empty();
    }

    public Optional<PowerState> stable() {
        return Optional.ofNullable(stable);
    }

    public Path path() {
        return path;
    }
}
