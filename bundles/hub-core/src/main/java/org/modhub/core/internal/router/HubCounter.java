package org.modhub.core.internal.router;

import java.nio.ByteBuffer;
import java.util.Optional;
import org.modhub.api.store.StateStore;

/**
 * The hub's originator counter: strictly increasing across restarts without a disk write per
 * message. Values start from the current time in microseconds (as GBCS counters are time-based) and
 * a ceiling is reserved in the state store a block at a time; after a restart counting resumes above
 * the last reserved ceiling, so no value is ever issued twice even if the clock went back.
 */
final class HubCounter {
    static final String NAMESPACE = "org.modhub.core.router";
    static final String KEY = "hub-counter-ceiling";
    private static final long BLOCK = 100_000;

    private final StateStore state;
    private long next;
    private long ceiling;
    /** The highest value issued by {@link #next} or claimed; a reservation at or below it is stale. */
    private long highestIssued = -1;

    HubCounter(StateStore state) {
        this.state = state;
        Optional<byte[]> stored = state.get(NAMESPACE, KEY);
        long reserved = stored.map(b -> ByteBuffer.wrap(b).getLong()).orElse(0L);
        this.next = Math.max(reserved, System.currentTimeMillis() * 1000);
        this.ceiling = next;
    }

    synchronized long next() {
        long now = System.currentTimeMillis() * 1000;
        if (now > next) {
            next = now;
        }
        if (next >= ceiling) {
            ceiling = next + BLOCK;
            state.put(NAMESPACE, KEY, ByteBuffer.allocate(8).putLong(ceiling).array());
        }
        highestIssued = next;
        return next++;
    }

    /**
     * A value for a message to be sent at {@code dueMicros} (epoch microseconds): that time, or the
     * next value if the counter is already past it (then it is used up now). The ceiling persisted
     * covers it, so after a restart counting resumes above it.
     */
    synchronized long reserve(long dueMicros) {
        long value = Math.max(dueMicros, Math.max(next, System.currentTimeMillis() * 1000));
        if (value == next) {
            next++; // issued to the reservation now; later values are above it
        }
        if (value >= ceiling) {
            ceiling = value + BLOCK;
            state.put(NAMESPACE, KEY, ByteBuffer.allocate(8).putLong(ceiling).array());
        }
        return value;
    }

    /**
     * Whether a reserved value may still be sent as is: nothing at or above it was issued or claimed
     * since. If so it counts as issued and the counter moves past it.
     */
    synchronized boolean claim(long value) {
        if (value <= highestIssued || value >= ceiling) {
            return false;
        }
        highestIssued = value;
        if (next <= value) {
            next = value + 1;
        }
        return true;
    }
}
