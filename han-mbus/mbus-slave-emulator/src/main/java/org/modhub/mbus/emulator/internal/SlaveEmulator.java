package org.modhub.mbus.emulator.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP M-Bus gateway with emulated slaves behind it, on loopback: the far side of the real driver.
 * It answers SND_NKE (E5), REQ_UD2 (RSP_UD), and secondary-address selection (SND_UD with CI 0x52 to
 * address 0xFD: E5 when exactly one meter matches), as EN 13757-2/-3 describe. One connection at a
 * time is served (a gateway is a bus: one master).
 */
public final class SlaveEmulator implements AutoCloseable {
    private final ServerSocket server;
    private final List<EmulatedMeter> meters = new CopyOnWriteArrayList<>();
    private final Thread acceptor;
    private final AtomicLong requests = new AtomicLong();
    private volatile EmulatedMeter selected;
    private volatile boolean closed;
    private volatile Socket current;

    /** Starts listening on 127.0.0.1 at {@code port} (0: a free port). */
    public SlaveEmulator(int port) throws IOException {
        server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        acceptor = new Thread(this::acceptLoop, "mbus-slave-emulator:" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    public void add(EmulatedMeter meter) {
        meters.add(meter);
    }

    public List<EmulatedMeter> meters() {
        return List.copyOf(meters);
    }

    /** Requests answered or ignored so far. */
    public long requests() {
        return requests.get();
    }

    private void acceptLoop() {
        while (!closed) {
            try (Socket s = server.accept()) {
                current = s;
                s.setTcpNoDelay(true);
                serve(s.getInputStream(), s.getOutputStream());
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            } finally {
                current = null;
            }
        }
    }

    private void serve(InputStream in, OutputStream out) throws IOException {
        while (!closed) {
            int b = in.read();
            if (b < 0) {
                return;
            }
            byte[] reply;
            if (b == 0x10) {
                byte[] f = in.readNBytes(4);
                if (f.length < 4 || (f[3] & 0xFF) != 0x16 || (byte) (f[0] + f[1]) != f[2]) {
                    continue; // garbled: a slave stays silent
                }
                reply = shortFrame(f[0] & 0xFF, f[1] & 0xFF);
            } else if (b == 0x68) {
                byte[] h = in.readNBytes(3);
                if (h.length < 3 || h[0] != h[1] || (h[2] & 0xFF) != 0x68) {
                    continue;
                }
                int l = h[0] & 0xFF;
                byte[] body = in.readNBytes(l + 2);
                if (body.length < l + 2 || (body[l + 1] & 0xFF) != 0x16) {
                    continue;
                }
                int cs = 0;
                for (int i = 0; i < l; i++) {
                    cs += body[i] & 0xFF;
                }
                if ((byte) cs != body[l]) {
                    continue;
                }
                reply = longFrame(body, l);
            } else {
                continue;
            }
            requests.incrementAndGet();
            if (reply != null) {
                out.write(reply);
                out.flush();
            }
        }
    }

    private byte[] shortFrame(int c, int a) {
        int function = c & 0x4F;
        if (function == 0x40) { // SND_NKE
            if (a == 0xFD) {
                selected = null; // EN 13757-2: SND_NKE to 253 also deselects
                return null;
            }
            return find(a) != null ? new byte[] {(byte) Frames.ACK} : null;
        }
        if (function == 0x4B) { // REQ_UD2 (0x5B / 0x7B with FCB/FCV)
            EmulatedMeter m = find(a);
            if (m == null || m.fault() == EmulatedMeter.Fault.SILENT) {
                return null;
            }
            return m.respond(a);
        }
        return null;
    }

    private byte[] longFrame(byte[] body, int l) {
        int c = body[0] & 0xFF;
        int a = body[1] & 0xFF;
        int ci = body[2] & 0xFF;
        if ((c & 0x4F) != 0x43) { // SND_UD (0x53 / 0x73)
            return null;
        }
        if (a == 0xFD && ci == 0x52 && l >= 11) {
            byte[] mask = new byte[8];
            System.arraycopy(body, 3, mask, 0, 8);
            EmulatedMeter match = null;
            int n = 0;
            for (EmulatedMeter m : meters) {
                if (m.matches(mask)) {
                    match = m;
                    n++;
                }
            }
            selected = n == 1 ? match : null;
            // several matching slaves all answer: a collision the master sees as a garbled reply
            return n == 0 ? null : n == 1 ? new byte[] {(byte) Frames.ACK} : new byte[] {(byte) 0xE5, (byte) 0xE5};
        }
        if (a == 0xFD && ci == 0x56) { // deselect
            selected = null;
            return new byte[] {(byte) Frames.ACK};
        }
        return find(a) != null ? new byte[] {(byte) Frames.ACK} : null; // other SND_UD: accepted
    }

    private EmulatedMeter find(int a) {
        if (a == 0xFD) {
            return selected;
        }
        for (EmulatedMeter m : meters) {
            if (m.primary() == a) {
                return m;
            }
        }
        return null;
    }

    /** Drops the current connection (as a gateway restart would). */
    public void dropConnection() throws IOException {
        Socket s = current;
        if (s != null) {
            s.close();
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
            dropConnection();
        } catch (IOException | RuntimeException e) {
            // closing anyway
        }
    }
}
