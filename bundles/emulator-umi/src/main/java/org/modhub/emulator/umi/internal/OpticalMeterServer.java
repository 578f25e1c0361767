package org.modhub.emulator.umi.internal;

import com.fazecast.jSerialComm.SerialPort;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The emulated meter's optical port (IEC 62056-21 mode C, data readout) on a serial device such as
 * one end of a socat pty pair: answers {@code /?[address]!} with its identification at 300 baud,
 * switches to the rate it offered when acknowledged with {@code ACK 0 Z 0}, and sends the data
 * message with the registers of the {@link MeterModel}. Faults can be switched on for tests.
 */
public final class OpticalMeterServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(OpticalMeterServer.class.getName());
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HHmmss").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyMMdd").withZone(ZoneOffset.UTC);

    /** What the emulated meter gets wrong on purpose. */
    public enum Fault {
        NONE,
        /** The data message's block check character is off by one bit. */
        BAD_BCC,
        /** The identification lacks the baud-rate character. */
        MALFORMED_IDENTIFICATION,
        /** The import register is reported in a unit no meter uses. */
        UNKNOWN_UNIT,
        /** The meter does not answer the sign-on. */
        SILENT
    }

    private final SerialPort port;
    private final MeterModel model;
    private final String address;
    private final String identification;
    private final char baudCharacter;
    private final Thread reader;
    private volatile boolean running = true;
    private volatile Fault fault = Fault.NONE;
    private volatile int readouts;

    /**
     * @param address the device address it answers to besides the empty one
     * @param identification up to 16 characters after {@code /MHB<Z>}
     * @param baudCharacter the mode C rate it offers, '0' (300) .. '6' (19200)
     */
    public OpticalMeterServer(MeterModel model, String device, String address, String identification,
            char baudCharacter) {
        if (baudCharacter < '0' || baudCharacter > '6') {
            throw new IllegalArgumentException("mode C baud-rate character is '0'..'6'");
        }
        this.model = model;
        this.address = address;
        this.identification = identification;
        this.baudCharacter = baudCharacter;
        this.port = SerialPort.getCommPort(device);
        port.setComPortParameters(300, 7, SerialPort.ONE_STOP_BIT, SerialPort.EVEN_PARITY);
        port.setComPortTimeouts(SerialPort.TIMEOUT_READ_SEMI_BLOCKING, 200, 0);
        if (!port.openPort()) {
            throw new IllegalStateException("cannot open " + device + " (error " + port.getLastErrorCode() + ")");
        }
        this.reader = new Thread(this::serve, "modhub-emulator-umi-optical");
        reader.setDaemon(true);
        reader.start();
    }

    public void fault(Fault f) {
        this.fault = f;
    }

    /** How many data messages it sent. */
    public int readouts() {
        return readouts;
    }

    private void serve() {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        byte[] buf = new byte[256];
        boolean signedOn = false;
        while (running) {
            int n = port.readBytes(buf, buf.length);
            for (int i = 0; i < n; i++) {
                line.write(buf[i]);
                if (buf[i] != '\n') {
                    if (line.size() > 64) {
                        line.reset(); // noise: wait for the next line
                    }
                    continue;
                }
                String l = line.toString(StandardCharsets.US_ASCII);
                line.reset();
                try {
                    if (l.startsWith("/?") && l.endsWith("!\r\n")) {
                        String a = l.substring(2, l.length() - 3);
                        signedOn = (a.isEmpty() || a.equals(address)) && fault != Fault.SILENT;
                        port.setBaudRate(300);
                        if (signedOn) {
                            String ident = fault == Fault.MALFORMED_IDENTIFICATION ? "/MH" + identification + "\r\n"
                                    : "/MHB" + baudCharacter + identification + "\r\n";
                            write(ident.getBytes(StandardCharsets.US_ASCII));
                        }
                    } else if (signedOn && l.length() == 6 && l.charAt(0) == 0x06 && l.charAt(3) == '0') {
                        signedOn = false;
                        char z = l.charAt(2);
                        if (z >= '0' && z <= baudCharacter) {
                            Thread.sleep(250); // the acknowledgement is still arriving at 300 baud
                            port.setBaudRate(new int[] {300, 600, 1200, 2400, 4800, 9600, 19200}[z - '0']);
                            write(dataMessage(Instant.now()));
                            readouts++;
                        }
                    }
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private void write(byte[] b) {
        port.writeBytes(b, b.length);
    }

    byte[] dataMessage(Instant t) {
        return dataMessage(model, identification, fault, t);
    }

    /** STX, data lines, {@code !} CR LF, ETX, BCC, as the meter with {@code model} sends them at {@code t}. */
    public static byte[] dataMessage(MeterModel model, String identification, Fault fault, Instant t) {
        StringBuilder s = new StringBuilder(512);
        s.append("0.0.0(").append(identification).append(")\r\n");
        s.append("0.9.1(").append(TIME.format(model.meterTime())).append(")\r\n");
        s.append("0.9.2(").append(DATE.format(model.meterTime())).append(")\r\n");
        String importUnit = fault == Fault.UNKNOWN_UNIT ? "kWx" : "kWh";
        s.append(set("1.8.0", model.importWh(t), importUnit));
        s.append(set("1.8.1", model.importTariffWh(t, 1), "kWh"));
        s.append(set("1.8.2", model.importTariffWh(t, 2), "kWh"));
        s.append(set("2.8.0", model.exportWh(t), "kWh"));
        s.append(set("2.8.1", model.exportTariffWh(t, 1), "kWh"));
        s.append(set("2.8.2", model.exportTariffWh(t, 2), "kWh"));
        s.append(set("1.7.0", model.importW(t), "kW"));
        s.append(set("2.7.0", model.exportW(t), "kW"));
        s.append("F.F(00000000)\r\n");
        s.append("!\r\n");
        byte[] body = s.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[body.length + 3];
        out[0] = 0x02;
        System.arraycopy(body, 0, out, 1, body.length);
        out[body.length + 1] = 0x03;
        byte bcc = 0;
        for (int i = 1; i < out.length - 1; i++) {
            bcc ^= out[i];
        }
        out[out.length - 1] = fault == Fault.BAD_BCC ? (byte) (bcc ^ 0x01) : bcc;
        return out;
    }

    /** A value in thousandths of the unit (Wh in kWh, W in kW) as {@code address(000000.000*unit)}. */
    private static String set(String address, long milli, String unit) {
        return String.format("%s(%06d.%03d*%s)\r\n", address, milli / 1000, milli % 1000, unit);
    }

    @Override
    public void close() {
        running = false;
        try {
            reader.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        port.closePort();
        LOG.log(System.Logger.Level.DEBUG, "optical port closed");
    }
}
