package org.modhub.zigbee.internal;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import com.fazecast.jSerialComm.SerialPort;
import com.fazecast.jSerialComm.SerialPortDataListener;
import com.fazecast.jSerialComm.SerialPortEvent;
import com.zsmartsystems.zigbee.transport.ZigBeePort;

/**
 * The library's serial port SPI on jSerialComm (the library's own serial port uses jssc). Received
 * octets are queued by jSerialComm's event thread and read by the dongle driver's thread.
 */
final class SerialZigBeePort implements ZigBeePort {
    private static final int QUEUE = 4096;
    private final String path;
    private final int defaultBaud;
    private final FlowControl defaultFlow;
    private final BlockingQueue<Integer> received = new ArrayBlockingQueue<>(QUEUE);
    private volatile SerialPort port;

    SerialZigBeePort(String path, int baud, FlowControl flow) {
        this.path = path;
        this.defaultBaud = baud;
        this.defaultFlow = flow;
    }

    @Override
    public boolean open() {
        return open(defaultBaud, defaultFlow);
    }

    @Override
    public boolean open(int baudRate) {
        return open(baudRate, defaultFlow);
    }

    @Override
    public synchronized boolean open(int baudRate, FlowControl flowControl) {
        close();
        SerialPort p = SerialPort.getCommPort(path);
        p.setComPortParameters(baudRate, 8, SerialPort.ONE_STOP_BIT, SerialPort.NO_PARITY);
        p.setFlowControl(switch (flowControl == null ? FlowControl.FLOWCONTROL_OUT_NONE : flowControl) {
            case FLOWCONTROL_OUT_RTSCTS -> SerialPort.FLOW_CONTROL_RTS_ENABLED | SerialPort.FLOW_CONTROL_CTS_ENABLED;
            case FLOWCONTROL_OUT_XONOFF -> SerialPort.FLOW_CONTROL_XONXOFF_IN_ENABLED
                    | SerialPort.FLOW_CONTROL_XONXOFF_OUT_ENABLED;
            default -> SerialPort.FLOW_CONTROL_DISABLED;
        });
        p.setComPortTimeouts(SerialPort.TIMEOUT_NONBLOCKING, 0, 0);
        if (!p.openPort()) {
            return false;
        }
        received.clear();
        p.addDataListener(new SerialPortDataListener() {
            @Override
            public int getListeningEvents() {
                return SerialPort.LISTENING_EVENT_DATA_RECEIVED;
            }

            @Override
            public void serialEvent(SerialPortEvent event) {
                byte[] data = event.getReceivedData();
                if (data != null) {
                    for (byte b : data) {
                        received.offer(b & 0xFF); // a full queue drops: the driver's framing recovers
                    }
                }
            }
        });
        port = p;
        return true;
    }

    @Override
    public synchronized void close() {
        SerialPort p = port;
        port = null;
        if (p != null) {
            p.removeDataListener();
            p.closePort();
        }
    }

    @Override
    public void write(int value) {
        SerialPort p = port;
        if (p != null) {
            p.writeBytes(new byte[] {(byte) value}, 1);
        }
    }

    @Override
    public void write(int[] bytes) {
        SerialPort p = port;
        if (p == null) {
            return;
        }
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) bytes[i];
        }
        p.writeBytes(b, b.length);
    }

    @Override
    public int read() {
        return read(9999999);
    }

    @Override
    public int read(int timeout) {
        try {
            Integer v = received.poll(timeout, TimeUnit.MILLISECONDS);
            return v == null ? -1 : v;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    @Override
    public void purgeRxBuffer() {
        received.clear();
    }
}
