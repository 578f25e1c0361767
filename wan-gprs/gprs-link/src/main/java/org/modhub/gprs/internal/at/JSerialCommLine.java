package org.modhub.gprs.internal.at;

import com.fazecast.jSerialComm.SerialPort;
import com.fazecast.jSerialComm.SerialPortInvalidPortException;
import java.io.IOException;

/**
 * A {@link SerialLine} over jSerialComm, opened by path (jSerialComm does not enumerate
 * pseudo-terminals, but opens them by path or symlink; its error code 25, ENOTTY, after opening a pty is
 * harmless). Reads are semi-blocking with a short timeout, writes blocking with a bounded timeout, so
 * no thread ever waits on the port for long.
 */
public final class JSerialCommLine implements SerialLine {
    private final SerialPort port;
    private final String path;
    private volatile boolean closed;

    private JSerialCommLine(SerialPort port, String path) {
        this.port = port;
        this.path = path;
    }

    /**
     * Opens {@code path} at {@code baud} 8N1 without flow control.
     *
     * @throws IOException if it does not exist or cannot be opened
     */
    public static JSerialCommLine open(String path, int baud, int readTimeoutMs, int writeTimeoutMs)
            throws IOException {
        SerialPort p;
        try {
            p = SerialPort.getCommPort(path);
        } catch (SerialPortInvalidPortException e) {
            throw new IOException("no serial port " + path + ": " + e.getMessage(), e);
        }
        p.setComPortParameters(baud, 8, SerialPort.ONE_STOP_BIT, SerialPort.NO_PARITY);
        p.setFlowControl(SerialPort.FLOW_CONTROL_DISABLED);
        p.setComPortTimeouts(SerialPort.TIMEOUT_READ_SEMI_BLOCKING | SerialPort.TIMEOUT_WRITE_BLOCKING,
                readTimeoutMs, writeTimeoutMs);
        if (!p.openPort()) {
            throw new IOException("cannot open serial port " + path + " (error " + p.getLastErrorCode() + " at "
                    + p.getLastErrorLocation() + ")");
        }
        return new JSerialCommLine(p, path);
    }

    @Override
    public int read(byte[] buffer) throws IOException {
        if (closed) {
            throw new IOException(path + " closed");
        }
        int n = port.readBytes(buffer, buffer.length);
        if (n < 0) {
            throw new IOException("read from " + path + " failed (error " + port.getLastErrorCode() + ")");
        }
        return n;
    }

    @Override
    public void write(byte[] bytes) throws IOException {
        if (closed) {
            throw new IOException(path + " closed");
        }
        int done = 0;
        int attempts = 0;
        while (done < bytes.length) {
            int n = port.writeBytes(bytes, bytes.length - done, done);
            if (n < 0) {
                throw new IOException("write to " + path + " failed (error " + port.getLastErrorCode() + ")");
            }
            if (n == 0 && ++attempts > 2) {
                throw new IOException("write to " + path + " timed out");
            }
            done += n;
        }
    }

    @Override
    public void flush() {
        port.flushIOBuffers();
    }

    @Override
    public String name() {
        return path;
    }

    @Override
    public void close() {
        closed = true;
        port.closePort();
    }
}
