package org.modhub.umi.internal;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * IEC 62056-21 mode C data readout on a meter's optical port: sign-on {@code /?!} at 300 baud, the
 * meter's identification {@code /XXXZ...}, the acknowledgement {@code ACK 0 Z 0} that selects data
 * readout at the rate the meter offers (Z), the switch to that rate, and the data message
 * {@code STX block ! CR LF ETX BCC} with its block check. Not thread-safe; one readout at a time.
 */
public final class Iec21Client {
    /** What one readout returned. */
    public record Readout(Iec21Frames.Identification identification, List<Iec21Frames.DataSet> dataSets, int bytes) {
    }

    private final Iec21Line line;
    private final String deviceAddress;
    private final Duration responseTimeout;
    private final int maxBaud;

    /**
     * @param deviceAddress the meter's device address for the sign-on ("" for any meter on the port)
     * @param responseTimeout how long to wait for the identification and between bytes of the data message
     * @param maxBaud the highest rate the hub accepts; a meter offering more is read at the initial 300 baud
     */
    public Iec21Client(Iec21Line line, String deviceAddress, Duration responseTimeout, int maxBaud) {
        this.line = Objects.requireNonNull(line);
        this.deviceAddress = deviceAddress == null ? "" : deviceAddress;
        this.responseTimeout = Objects.requireNonNull(responseTimeout);
        this.maxBaud = maxBaud;
        Iec21Frames.signOn(this.deviceAddress); // validates the address
    }

    public Readout readout() throws UmiException {
        line.setBaudRate(300);
        line.drain();
        line.write(Iec21Frames.signOn(deviceAddress));
        byte[] ident = readLine();
        Iec21Frames.Identification id = Iec21Frames.parseIdentification(ident);
        char z = id.baudRate() <= maxBaud ? id.baudCharacter() : '0';
        byte[] ack = Iec21Frames.readoutAck(z);
        line.write(ack);
        int baud = Iec21Frames.modeCBaud(z);
        if (baud != 300) {
            // the acknowledgement leaves at 300 baud (10 bit times a character) before the switch
            sleep(ack.length * 10_000L / 300 + 20);
            line.setBaudRate(baud);
        }
        Instant deadline = Instant.now().plus(responseTimeout);
        int first = line.read(deadline);
        if (first != Iec21Frames.STX) {
            throw new UmiException.MalformedReadoutException(String.format(
                    "data message starts with 0x%02X, not STX", first));
        }
        ByteArrayOutputStream block = new ByteArrayOutputStream(1024);
        while (true) {
            int b = line.read(Instant.now().plus(responseTimeout));
            block.write(b);
            if (b == Iec21Frames.ETX) {
                break;
            }
            if (block.size() > Iec21Frames.MAX_DATA_BLOCK) {
                throw new UmiException.MalformedReadoutException("data block longer than " + Iec21Frames.MAX_DATA_BLOCK
                        + " bytes without ETX");
            }
        }
        int bcc = line.read(Instant.now().plus(responseTimeout));
        byte[] afterStx = block.toByteArray();
        Iec21Frames.checkBcc(afterStx, (byte) bcc);
        List<Iec21Frames.DataSet> sets = Iec21Frames.parseDataBlock(Arrays.copyOf(afterStx, afterStx.length - 1));
        return new Readout(id, sets, ident.length + afterStx.length + 2);
    }

    private byte[] readLine() throws UmiException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(32);
        Instant deadline = Instant.now().plus(responseTimeout);
        while (true) {
            int b = line.read(deadline);
            out.write(b);
            if (b == '\n') {
                return out.toByteArray();
            }
            if (out.size() > Iec21Frames.MAX_IDENTIFICATION) {
                throw new UmiException.MalformedIdentificationException("no CR LF within "
                        + Iec21Frames.MAX_IDENTIFICATION + " bytes of identification");
            }
            deadline = Instant.now().plus(responseTimeout);
        }
    }

    private static void sleep(long ms) throws UmiException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UmiException.LinkException("interrupted", e);
        }
    }
}
