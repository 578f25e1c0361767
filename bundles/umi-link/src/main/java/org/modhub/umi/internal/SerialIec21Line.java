package org.modhub.umi.internal;

import com.fazecast.jSerialComm.SerialPort;
import java.time.Duration;
import java.time.Instant;

/**
 * An optical probe on a serial device (jSerialComm), 7E1, starting at 300 baud as IEC 62056-21
 * requires. Opened by path: jSerialComm does not list ptys but opens them.
 */
public final class SerialIec21Line implements Iec21Line {
    private final SerialPort port;
    private final String device;
    private final byte[] buffer = new byte[512];
    private int length;
    private int position;

    public SerialIec21Line(String device, int initialBaud) throws UmiException {
        this.device = device;
        this.port = SerialPort.getCommPort(device);
        port.setComPortParameters(initialBaud, 7, SerialPort.ONE_STOP_BIT, SerialPort.EVEN_PARITY);
        if (!port.openPort()) {
            throw new UmiException.LinkException("cannot open optical port " + device + " (error "
                    + port.getLastErrorCode() + ")", null);
        }
    }

    @Override
    public void write(byte[] bytes) throws UmiException {
        int n = port.writeBytes(bytes, bytes.length);
        if (n != bytes.length) {
            throw new UmiException.LinkException("optical port write failed (" + n + " of " + bytes.length + " bytes)",
                    null);
        }
    }

    @Override
    public int read(Instant deadline) throws UmiException {
        if (position < length) {
            return buffer[position++] & 0xFF;
        }
        long wait = Duration.between(Instant.now(), deadline).toMillis();
        if (wait <= 0) {
            throw new UmiException.MeterTimeoutException("meter did not answer in time on " + device);
        }
        port.setComPortTimeouts(SerialPort.TIMEOUT_READ_SEMI_BLOCKING, (int) Math.min(Integer.MAX_VALUE, wait), 0);
        int n = port.readBytes(buffer, buffer.length);
        if (n < 0) {
            throw new UmiException.LinkException("optical port read failed (error " + port.getLastErrorCode() + ")", null);
        }
        if (n == 0) {
            throw new UmiException.MeterTimeoutException("meter did not answer in time on " + device);
        }
        length = n;
        position = 1;
        return buffer[0] & 0xFF;
    }

    @Override
    public void setBaudRate(int baud) throws UmiException {
        // jSerialComm 2.11.4 reports failure (EINVAL) when asked for the rate the port already has
        if (port.getBaudRate() != baud && !port.setBaudRate(baud) && port.getBaudRate() != baud) {
            throw new UmiException.LinkException("cannot switch " + device + " to " + baud + " baud (error "
                    + port.getLastErrorCode() + ")", null);
        }
    }

    @Override
    public void drain() {
        position = length = 0;
        port.flushIOBuffers();
    }

    @Override
    public void close() {
        port.closePort();
    }
}
