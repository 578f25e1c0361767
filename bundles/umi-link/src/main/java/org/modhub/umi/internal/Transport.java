package org.modhub.umi.internal;

import java.time.Instant;

/** A byte link to the metrology module: the TCP wrapper, or HDLC over a serial line. */
public interface Transport extends AutoCloseable {
    void write(byte[] bytes) throws UmiException;

    /**
     * Reads whatever arrived, waiting until {@code deadline} for at least one byte.
     *
     * @throws UmiException.MeterTimeoutException if nothing arrived by the deadline
     */
    byte[] read(Instant deadline) throws UmiException;

    @Override
    void close();
}
