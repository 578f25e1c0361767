package org.modhub.bridge.gateway.internal;

import java.util.function.LongSupplier;

/**
 * A token bucket: {@code perMinute} tokens at most, refilled evenly at {@code perMinute} per minute.
 * Thread-safe.
 */
final class RateLimiter {
    private static final long MINUTE_NANOS = 60_000_000_000L;

    private final LongSupplier nanoClock;
    private final int perMinute;
    private double tokens;
    private long last;

    RateLimiter(int perMinute, LongSupplier nanoClock) {
        if (perMinute < 1) {
            throw new IllegalArgumentException("perMinute must be positive: " + perMinute);
        }
        this.perMinute = perMinute;
        this.nanoClock = nanoClock;
        this.tokens = perMinute;
        this.last = nanoClock.getAsLong();
    }

    int perMinute() {
        return perMinute;
    }

    /** Takes one token: 0 when allowed, else the milliseconds until one is available (at least 1). */
    synchronized long tryAcquire() {
        long now = nanoClock.getAsLong();
        long elapsed = now - last;
        if (elapsed > 0) {
            tokens = Math.min(perMinute, tokens + (double) elapsed * perMinute / MINUTE_NANOS);
            last = now;
        }
        if (tokens >= 1.0) {
            tokens -= 1.0;
            return 0;
        }
        double missing = 1.0 - tokens;
        return Math.max(1, (long) Math.ceil(missing * MINUTE_NANOS / perMinute / 1_000_000.0));
    }
}
