package org.modhub.headend.kura.internal;

import java.util.concurrent.ThreadLocalRandom;

/** Exponential reconnect backoff with "equal jitter": each delay is in [d/2, d], d doubling up to max. */
final class Backoff {
    private final long minMs;
    private final long maxMs;
    private long current;

    Backoff(long minMs, long maxMs) {
        if (minMs <= 0 || maxMs < minMs) {
            throw new IllegalArgumentException("backoff " + minMs + ".." + maxMs + " ms");
        }
        this.minMs = minMs;
        this.maxMs = maxMs;
        this.current = minMs;
    }

    /** The next delay in ms; the one after it is (up to) twice as long. */
    synchronized long next() {
        long d = current;
        current = Math.min(maxMs, current * 2);
        long half = d / 2;
        return half + ThreadLocalRandom.current().nextLong(d - half + 1);
    }

    synchronized void reset() {
        current = minMs;
    }
}
