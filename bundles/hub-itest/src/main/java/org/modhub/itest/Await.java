package org.modhub.itest;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polling waits with a description of what was awaited when they time out. */
final class Await {
    static final Duration DEFAULT = Duration.ofSeconds(30);

    private Await() {
    }

    static void until(String what, BooleanSupplier condition) {
        until(what, DEFAULT, condition, () -> "");
    }

    static void until(String what, Duration timeout, BooleanSupplier condition, Supplier<String> state) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout + " waiting for " + what + " " + state.get());
            }
            sleep(10);
        }
    }

    /** Asserts that {@code condition} stays false for {@code period}. */
    static void never(String what, Duration period, BooleanSupplier condition) {
        long deadline = System.nanoTime() + period.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                fail("unexpected: " + what);
            }
            sleep(10);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
