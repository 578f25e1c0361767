package org.modhub.mbus.link.internal;

import com.fazecast.jSerialComm.SerialPort;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.openmuc.jmbus.MBusConnection;
import org.openmuc.jmbus.transportlayer.TransportLayer;
import org.openmuc.jmbus.wireless.WMBusConnection;
import org.openmuc.jmbus.wireless.WMBusListener;
import org.openmuc.jmbus.wireless.WMBusMode;

/**
 * jMBus's {@link TransportLayer} over a TCP socket (M-Bus gateways) or a jSerialComm port (jMBus's
 * own serial layer needs jRxTx and its native library). Every received octet is also kept, so the hub
 * checks the frame jMBus read (length, checksum) and decodes it itself.
 */
public abstract class CapturingTransport implements TransportLayer {
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream(512);
    private DataInputStream in;
    private DataOutputStream out;
    private volatile boolean closed = true;
    protected int timeoutMs;

    protected CapturingTransport(int timeoutMs) {
        this.timeoutMs = timeoutMs;
    }

    /** A transport to a TCP M-Bus gateway. */
    public static CapturingTransport tcp(String host, int port, int timeoutMs) {
        return new Tcp(host, port, timeoutMs);
    }

    /**
     * A transport on a serial port through jSerialComm.
     *
     * @param parity jSerialComm parity constant (wired M-Bus: even, 8E1; transceivers: none)
     */
    public static CapturingTransport serial(String port, int baud, int parity, int timeoutMs) {
        return new Serial(port, baud, parity, timeoutMs);
    }

    /** A wired M-Bus connection (jMBus) over this transport; opens it. */
    public MBusConnection connect() throws IOException {
        CapturingTransport self = this;
        return new MBusConnection.MBusTcpBuilder("127.0.0.1", 0) {
            @Override
            protected TransportLayer buildTransportLayer() {
                return self;
            }
        }.build();
    }

    /** A wireless M-Bus transceiver connection (jMBus) over this transport; opens it. */
    public WMBusConnection connectWireless(WMBusConnection.WMBusManufacturer maker, WMBusMode mode, WMBusListener listener)
            throws IOException {
        CapturingTransport self = this;
        return new WMBusConnection.WMBusSerialBuilder(maker, listener, "unused") {
            @Override
            protected TransportLayer buildTransportLayer() {
                return self;
            }
        }.setMode(mode).build();
    }

    protected abstract InputStream openInput() throws IOException;

    protected abstract OutputStream openOutput() throws IOException;

    protected abstract void openChannel() throws IOException;

    protected abstract void closeChannel();

    @Override
    public synchronized void open() throws IOException {
        openChannel();
        InputStream raw = openInput();
        in = new DataInputStream(new FilterInputStream(raw) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    synchronized (captured) {
                        captured.write(b);
                    }
                }
                return b;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                int n = super.read(buf, off, len);
                if (n > 0) {
                    synchronized (captured) {
                        captured.write(buf, off, n);
                    }
                }
                return n;
            }
        });
        out = new DataOutputStream(openOutput());
        closed = false;
    }

    /** The octets received since the last call, and forgets them. */
    public byte[] takeCaptured() {
        synchronized (captured) {
            byte[] b = captured.toByteArray();
            captured.reset();
            return b;
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        closeChannel();
    }

    @Override
    public DataOutputStream getOutputStream() {
        return out;
    }

    @Override
    public DataInputStream getInputStream() {
        return in;
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public int getTimeout() {
        return timeoutMs;
    }

    static final class Tcp extends CapturingTransport {
        private final String host;
        private final int port;
        private Socket socket;

        Tcp(String host, int port, int timeoutMs) {
            super(timeoutMs);
            this.host = host;
            this.port = port;
        }

        @Override
        protected void openChannel() throws IOException {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(host, port), Math.max(timeoutMs, 1000));
                s.setSoTimeout(timeoutMs);
                s.setTcpNoDelay(true);
            } catch (IOException e) {
                s.close();
                throw e;
            }
            socket = s;
        }

        @Override
        protected InputStream openInput() throws IOException {
            return socket.getInputStream();
        }

        @Override
        protected OutputStream openOutput() throws IOException {
            return socket.getOutputStream();
        }

        @Override
        protected void closeChannel() {
            try {
                if (socket != null) {
                    socket.close();
                }
            } catch (IOException e) {
                // closing
            }
        }

        @Override
        public void setTimeout(int timeout) throws IOException {
            this.timeoutMs = timeout;
            if (socket != null) {
                socket.setSoTimeout(timeout);
            }
        }
    }

    static final class Serial extends CapturingTransport {
        private final String path;
        private final int baud;
        private final int parity;
        private SerialPort port;

        Serial(String path, int baud, int parity, int timeoutMs) {
            super(timeoutMs);
            this.path = path;
            this.baud = baud;
            this.parity = parity;
        }

        @Override
        protected void openChannel() throws IOException {
            SerialPort p = SerialPort.getCommPort(path);
            p.setComPortParameters(baud, 8, SerialPort.ONE_STOP_BIT, parity);
            p.setComPortTimeouts(SerialPort.TIMEOUT_READ_SEMI_BLOCKING, timeoutMs, 0);
            if (!p.openPort()) {
                throw new IOException("cannot open serial port " + path + " (error " + p.getLastErrorCode() + ")");
            }
            port = p;
        }

        @Override
        protected InputStream openInput() {
            return port.getInputStream();
        }

        @Override
        protected OutputStream openOutput() {
            return port.getOutputStream();
        }

        @Override
        protected void closeChannel() {
            if (port != null) {
                port.closePort();
            }
        }

        @Override
        public void setTimeout(int timeout) {
            this.timeoutMs = timeout;
            if (port != null) {
                port.setComPortTimeouts(SerialPort.TIMEOUT_READ_SEMI_BLOCKING, timeout, 0);
            }
        }
    }
}
