package org.modhub.emulator.umi.internal;

import gurux.dlms.GXDLMSConnectionEventArgs;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The emulated meter on the DLMS TCP wrapper (IEC 62056-47), on loopback: each connection gets its
 * own association state over the shared {@link MeterModel}.
 */
public final class TcpMeterServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(TcpMeterServer.class.getName());

    private final MeterModel model;
    private final MeterKeys keys;
    private final ServerSocket socket;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final AtomicLong requests = new AtomicLong();
    private volatile boolean silent;
    private final Thread acceptor;

    private final boolean allowPublicClient;

    /** @param port 0 for any free port */
    public TcpMeterServer(MeterModel model, MeterKeys keys, int port) throws IOException {
        this(model, keys, port, false);
    }

    /**
     * @param allowPublicClient also accept unciphered associations without authentication; for the
     *        benchmark's peer only, never in the dev variant
     */
    public TcpMeterServer(MeterModel model, MeterKeys keys, int port, boolean allowPublicClient) throws IOException {
        this.allowPublicClient = allowPublicClient;
        this.model = model;
        this.keys = keys;
        this.socket = new ServerSocket(port, 16, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::acceptLoop, "modhub-emulator-umi-accept");
        this.acceptor.setDaemon(true);
        this.acceptor.start();
    }

    public int port() {
        return socket.getLocalPort();
    }

    public MeterModel model() {
        return model;
    }

    /** Number of request frames handled. */
    public long requests() {
        return requests.get();
    }

    /** A meter that stops answering: requests are read and dropped. */
    public void setSilent(boolean silent) {
        this.silent = silent;
    }

    private void acceptLoop() {
        while (!socket.isClosed()) {
            try {
                Socket s = socket.accept();
                s.setTcpNoDelay(true);
                connections.add(s);
                Thread t = new Thread(() -> serve(s), "modhub-emulator-umi-" + s.getPort());
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (!socket.isClosed()) {
                    LOG.log(System.Logger.Level.WARNING, "accept failed: " + e);
                }
            }
        }
    }

    private void serve(Socket s) {
        MeterSession session = new MeterSession(model, keys, gurux.dlms.enums.InterfaceType.WRAPPER, allowPublicClient);
        GXDLMSConnectionEventArgs info = new GXDLMSConnectionEventArgs();
        byte[] buf = new byte[4096];
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                requests.incrementAndGet();
                if (silent) {
                    continue;
                }
                byte[] reply = session.handleRequest(Arrays.copyOf(buf, n), info);
                if (reply != null && reply.length > 0) {
                    out.write(reply);
                    out.flush();
                }
            }
        } catch (SocketException e) {
            // closed
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "emulated meter connection failed: " + e);
        } finally {
            connections.remove(s);
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
        for (Socket s : connections) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
        }
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
