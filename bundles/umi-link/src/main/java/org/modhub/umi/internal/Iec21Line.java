package org.modhub.umi.internal;

import java.time.Instant;

/** A serial line to a meter's optical port (IEC 62056-21: 7 data bits, even parity, 1 stop bit). */
public interface Iec21Line extends AutoCloseable {
    void write(byte[] bytes) throws UmiException;

    /**
     * One byte, waiting until {@code deadline}.
     *
     * @throws UmiException.MeterTimeoutException if none arrived by then
     */
    int read(Instant deadline) throws UmiException;

    /** Switches the line's baud rate (after the acknowledgement has left). */
    void setBaudRate(int baud) throws UmiException;

    /** Discards whatever arrived and was not read. */
    void drain();

    @Override
    void close();
}
