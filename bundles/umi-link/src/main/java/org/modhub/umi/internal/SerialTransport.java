package org.modhub.umi.internal;

import com.fazecast.jSerialComm.SerialPort;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;

/**
 * A serial line to the metrology module (the wired UMI port, or an optical probe), carrying HDLC
 * frames. Opened by device path: jSerialComm does not list ptys, but opens them by path.
 */
public final class SerialTransport implements Transport {
    private final SerialPort port;
    private final byte[] buffer = new byte[2048];

    public SerialTransport(String device, int baud) throws UmiException {
        port = SerialPort.getCommPort(device);
        port.setComPortParameters(baud, 8, SerialPort.ONE_STOP_BIT, SerialPort.NO_PARITY);
        if (!port.openPort()) {
            throw new UmiException.LinkException("cannot open serial port " + device + " (error "
                    + port.getLastErrorCode() + ")", null);
        }
    }

    @Override
    public void write(byte[] bytes) throws UmiException {
        int n = port.writeBytes(bytes, bytes.length);
        if (n != bytes.length) {
            throw new UmiException.LinkException("serial write failed (" + n + " of " + bytes.length + " bytes)", null);
        }
    }

    @Override
    public byte[] read(Instant deadline) throws UmiException {
        long wait = Duration.between(Instant.now(), deadline).toMillis();
        if (wait <= 0) {
            throw new UmiException.MeterTimeoutException("meter did not answer in time");
        }
        port.setComPortTimeouts(SerialPort.TIMEOUT_READ_SEMI_BLOCKING, (int) Math.min(Integer.MAX_VALUE, wait), 0);
        int n = port.readBytes(buffer, buffer.length);
        if (n < 0) {
            throw new UmiException.LinkException("serial read failed (error " + port.getLastErrorCode() + ")", null);
        }
        if (n == 0) {
            throw new UmiException.MeterTimeoutException("meter did not answer in time");
        }
        return Arrays.copyOf(buffer, n);
    }

    @Override
    public void close() {
        port.closePort();
    }
}
