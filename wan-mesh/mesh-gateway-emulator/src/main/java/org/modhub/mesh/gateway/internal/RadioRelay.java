package org.modhub.mesh.gateway.internal;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The emulated mesh radio between the hub and the border gateway: a UDP relay that delays every
 * datagram by the configured latency (plus up to the configured jitter), drops a configured share of
 * them at random, and refuses (drops) every datagram larger than the radio's MTU.
 *
 * <p>The hub sends to {@link #meshAddress()}; the relay forwards to the gateway from its own socket and
 * relays the gateway's answers back to the hub that spoke last (one hub per relay, as one radio).
 */
public final class RadioRelay implements AutoCloseable {
    /** Radio characteristics. Loss is a probability in [0, 1). */
    public record Radio(int latencyMs, int jitterMs, double loss, int mtu, long seed) {
        public Radio {
            if (latencyMs < 0 || latencyMs > 60_000) {
                throw new IllegalArgumentException("latencyMs: out of 0..60000: " + latencyMs);
            }
            if (jitterMs < 0 || jitterMs > 60_000) {
                throw new IllegalArgumentException("jitterMs: out of 0..60000: " + jitterMs);
            }
            if (!(loss >= 0 && loss < 1)) {
                throw new IllegalArgumentException("loss: out of [0, 1): " + loss);
            }
            if (mtu < 64 || mtu > 65_507) {
                throw new IllegalArgumentException("mtu: out of 64..65507: " + mtu);
            }
        }
    }

    private final Radio radio;
    private final InetSocketAddress gateway;
    private final DatagramSocket meshSide;
    private final DatagramSocket gatewaySide;
    private final ScheduledExecutorService delay;
    private final Random random;
    private final Thread up;
    private final Thread down;
    private volatile InetSocketAddress hub;
    private volatile boolean running = true;
    private final AtomicLong relayed = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong oversized = new AtomicLong();

    /**
     * Binds the relay's mesh side to {@code meshSide} (port 0: any free port) and starts relaying to
     * {@code gateway}.
     */
    public RadioRelay(Radio radio, InetSocketAddress meshSide, InetSocketAddress gateway) throws SocketException {
        this.radio = radio;
        this.gateway = gateway;
        this.random = new Random(radio.seed());
        this.meshSide = new DatagramSocket(null);
        this.meshSide.setReuseAddress(true);
        this.meshSide.bind(meshSide);
        this.gatewaySide = new DatagramSocket(new InetSocketAddress(gateway.getAddress(), 0));
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "mesh-radio-delay");
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        this.delay = executor;
        this.up = thread("mesh-radio-up", this.meshSide, true);
        this.down = thread("mesh-radio-down", this.gatewaySide, false);
        up.start();
        down.start();
    }

    private Thread thread(String name, DatagramSocket from, boolean towardsGateway) {
        Thread t = new Thread(() -> pump(from, towardsGateway), name);
        t.setDaemon(true);
        return t;
    }

    private void pump(DatagramSocket from, boolean towardsGateway) {
        byte[] buf = new byte[65_535];
        while (running) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                from.receive(p);
            } catch (IOException e) {
                if (running) {
                    continue; // e.g. ICMP port unreachable reported on the socket
                }
                return;
            }
            InetSocketAddress target;
            if (towardsGateway) {
                hub = (InetSocketAddress) p.getSocketAddress();
                target = gateway;
            } else {
                target = hub;
                if (target == null) {
                    dropped.incrementAndGet();
                    continue;
                }
            }
            if (p.getLength() > radio.mtu()) {
                oversized.incrementAndGet();
                continue;
            }
            double r;
            long extra;
            synchronized (random) {
                r = random.nextDouble();
                extra = radio.jitterMs() == 0 ? 0 : random.nextInt(radio.jitterMs() + 1);
            }
            if (r < radio.loss()) {
                dropped.incrementAndGet();
                continue;
            }
            byte[] data = Arrays.copyOfRange(p.getData(), p.getOffset(), p.getOffset() + p.getLength());
            DatagramSocket out = towardsGateway ? gatewaySide : meshSide;
            Runnable send = () -> {
                try {
                    out.send(new DatagramPacket(data, data.length, target));
                    relayed.incrementAndGet();
                } catch (IOException e) {
                    dropped.incrementAndGet();
                }
            };
            long ms = radio.latencyMs() + extra;
            try {
                if (ms == 0) {
                    send.run();
                } else {
                    delay.schedule(send, ms, TimeUnit.MILLISECONDS);
                }
            } catch (java.util.concurrent.RejectedExecutionException e) {
                return; // closed
            }
        }
    }

    /** Where the hub sends to: the radio's side of the relay. */
    public InetSocketAddress meshAddress() {
        return (InetSocketAddress) meshSide.getLocalSocketAddress();
    }

    public Radio radio() {
        return radio;
    }

    public long relayed() {
        return relayed.get();
    }

    /** Datagrams lost on purpose (loss rate) or for want of a hub to answer. */
    public long dropped() {
        return dropped.get();
    }

    /** Datagrams refused because they exceeded the MTU. */
    public long oversized() {
        return oversized.get();
    }

    @Override
    public void close() {
        running = false;
        delay.shutdownNow();
        meshSide.close();
        gatewaySide.close();
        try {
            up.join(2_000);
            down.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
