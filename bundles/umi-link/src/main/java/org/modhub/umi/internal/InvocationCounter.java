package org.modhub.umi.internal;

import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The hub's DLMS invocation counter (the low 4 bytes of the AES-GCM IV after the system title),
 * never reused across restarts: values are reserved a block at a time and the ceiling of the block
 * is persisted before any value of it is used; after a restart counting resumes at the last ceiling.
 * A few values may be skipped; none is ever issued twice.
 */
public final class InvocationCounter {
    static final long MAX = 0xFFFF_FFFFL;
    private final Supplier<Optional<byte[]>> load;
    private final Consumer<byte[]> store;
    private final long block;
    private long ceiling;

    public InvocationCounter(Supplier<Optional<byte[]>> load, Consumer<byte[]> store, long block) {
        if (block < 1) {
            throw new IllegalArgumentException("block must be positive");
        }
        this.load = load;
        this.store = store;
        this.block = block;
        this.ceiling = load.get().map(b -> ByteBuffer.wrap(b).getLong()).orElse(0L);
    }

    /**
     * The first value to use for a new association, with a block reserved (and persisted) above it.
     *
     * @throws UmiException.RefusedException when the 32-bit counter is exhausted (new keys needed)
     */
    public synchronized long start() throws UmiException.RefusedException {
        long first = ceiling;
        reserveFrom(first);
        return first;
    }

    /** Makes sure {@code next} lies below the persisted ceiling, reserving another block if not. */
    public synchronized void ensure(long next) throws UmiException.RefusedException {
        if (next >= ceiling) {
            reserveFrom(next);
        }
    }

    private void reserveFrom(long from) throws UmiException.RefusedException {
        long newCeiling = from + block;
        if (newCeiling > MAX) {
            throw new UmiException.RefusedException("invocation counter exhausted: the meter's keys must be renewed");
        }
        store.accept(ByteBuffer.allocate(8).putLong(newCeiling).array());
        ceiling = newCeiling;
    }

    public synchronized long ceiling() {
        return ceiling;
    }

    static long stored(Optional<byte[]> b) {
        return b.map(x -> ByteBuffer.wrap(x).getLong()).orElse(0L);
    }
}
