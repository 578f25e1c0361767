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
        return next++;
    }
}
