package org.modhub.umi.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;

/** The DLMS TCP wrapper (IEC 62056-47) to a meter's port. */
public final class TcpTransport implements Transport {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] buffer = new byte[4096];

    public TcpTransport(String host, int port, Duration connectTimeout) throws UmiException {
        try {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), (int) connectTimeout.toMillis());
            in = socket.getInputStream();
            out = socket.getOutputStream();
        } catch (IOException e) {
            throw new UmiException.LinkException("cannot connect to the meter at " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void write(byte[] bytes) throws UmiException {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new UmiException.LinkException("write to the meter failed: " + e.getMessage(), e);
        }
    }

    @Override
    public byte[] read(Instant deadline) throws UmiException {
        long wait = Duration.between(Instant.now(), deadline).toMillis();
        if (wait <= 0) {
            throw new UmiException.MeterTimeoutException("meter did not answer in time");
        }
        try {
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, wait));
            int n = in.read(buffer);
            if (n < 0) {
                throw new UmiException.LinkException("meter closed the connection", null);
            }
            return Arrays.copyOf(buffer, n);
        } catch (SocketTimeoutException e) {
            throw new UmiException.MeterTimeoutException("meter did not answer in time");
        } catch (IOException e) {
            throw new UmiException.LinkException("read from the meter failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
