package org.modhub.emulator.umi.internal;

import com.fazecast.jSerialComm.SerialPort;
import gurux.dlms.GXDLMSConnectionEventArgs;
import gurux.dlms.enums.InterfaceType;
import java.util.Arrays;

/**
 * The emulated meter on a serial line with HDLC framing (IEC 62056-46), e.g. one end of a socat pty
 * pair: {@code socat pty,raw,echo=0,link=METER,mode=666 pty,raw,echo=0,link=HUB,mode=666}.
 */
public final class SerialMeterServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SerialMeterServer.class.getName());

    private final SerialPort port;
    private final MeterModel model;
    private final MeterKeys keys;
    private final Thread reader;
    private volatile boolean running = true;

    public SerialMeterServer(MeterModel model, MeterKeys keys, String device, int baud) {
        this.model = model;
        this.keys = keys;
        this.port = SerialPort.getCommPort(device);
        port.setComPortParameters(baud, 8, SerialPort.ONE_STOP_BIT, SerialPort.NO_PARITY);
        port.setComPortTimeouts(SerialPort.TIMEOUT_READ_SEMI_BLOCKING, 200, 0);
        if (!port.openPort()) {
            throw new IllegalStateException("cannot open " + device + " (error " + port.getLastErrorCode() + ")");
        }
        this.reader = new Thread(this::serve, "modhub-emulator-umi-serial");
        reader.setDaemon(true);
        reader.start();
    }

    private void serve() {
        MeterSession session = new MeterSession(model, keys, InterfaceType.HDLC);
        GXDLMSConnectionEventArgs info = new GXDLMSConnectionEventArgs();
        byte[] buf = new byte[2048];
        while (running) {
            int n = port.readBytes(buf, buf.length);
            if (n <= 0) {
                continue;
            }
            try {
                byte[] reply = session.handleRequest(Arrays.copyOf(buf, n), info);
                if (reply != null && reply.length > 0) {
                    port.writeBytes(reply, reply.length);
                }
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "emulated meter (serial) failed on a request: " + e);
            }
        }
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
    }
}
