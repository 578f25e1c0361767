package org.modhub.gprs.internal.at;

import java.io.IOException;

/** A byte stream to a modem whose reads never block for longer than a short, fixed timeout. */
public interface SerialLine extends AutoCloseable {
    /**
     * Reads what is available, waiting at most the line's read timeout for the first byte.
     *
     * @return the number of bytes read, 0 if none arrived in time
     * @throws IOException if the line failed or was closed
     */
    int read(byte[] buffer) throws IOException;

    /** Writes all bytes or throws; never blocks longer than the line's write timeout. */
    void write(byte[] bytes) throws IOException;

    /** Drops whatever is buffered in either direction. */
    void flush();

    /** A name for log lines, e.g. the device path. */
    String name();

    @Override
    void close();
}
