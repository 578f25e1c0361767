package org.modhub.bench;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.modhub.api.cloud.KuraDataCodec;
import org.modhub.api.event.Severity;
import org.modhub.api.messaging.OutboundMessage;
import org.modhub.api.wan.HeadEndSession;
import org.modhub.core.internal.config.ConfigGuard;
import org.modhub.core.internal.db.Durability;
import org.modhub.core.internal.db.HubStore;
import org.modhub.core.internal.db.SqliteDatabase;
import org.modhub.core.internal.outbox.OutboxService;
import org.modhub.headend.kura.internal.KuraSessionConfig;
import org.modhub.mesh.gateway.internal.BorderGateway;
import org.modhub.mesh.gateway.internal.GatewaySettings;
import org.modhub.mesh.gateway.internal.RadioRelay;
import org.modhub.mesh.link.internal.MeshLink;
import org.modhub.mesh.link.internal.MeshLog;
import org.modhub.mesh.link.internal.MeshSettings;
import org.osgi.framework.BundleContext;
import org.osgi.service.log.Logger;

/**
 * {@code bench/run wan-swap}: the swap gap of a live WAN swap and the messages lost, through the real
 * path: the hub-core outbox (durable, WAL synchronous=FULL) with 10,000 messages waiting at every swap,
 * feeding either the real Kura MQTT session (headend-kura, Paho, over the cellular IP path) or the real
 * mesh link (mesh-link, CoAP/DTLS) through the border-gateway emulator at its default radio (40 ms
 * latency, 10 ms jitter, no loss); both end at the same local mosquitto, where a Paho subscriber stands
 * for the head end and de-duplicates by message id.
 *
 * <p>A swap is what stopping the active link's bundle does: its session leaves the outbox and stops
 * (in-flight publishes fail back to the outbox); the other, already connected, takes over. The gap runs
 * from the old session going away to the first message the new one got confirmed (PUBACK from the
 * broker, through the gateway for the mesh). Swaps alternate gprs → mesh and mesh → gprs; the session
 * that went away comes back as the standby before the next swap. Loss: messages enqueued minus
 * distinct message ids at the head end after the last swap and a full drain (must be 0).
 *
 * <p>Peer, in the same run: a plain Paho client reconnecting to the same broker — from the completed
 * disconnect of its old connection to the PUBACK of its first QoS 1 publish on the new one (TCP and
 * MQTT connect plus one publish; a cold link, where the swap has a connected standby). Paho 1.2.5 spends
 * ~200-300 ms in its own connect here, so a second peer shows the floor: the same reconnect and publish
 * in raw MQTT 3.1.1 over a plain socket.
 */
public final class WanSwapBench {
    private static final int SWAPS = Integer.getInteger("bench.swaps", 20);
    private static final int IN_FLIGHT = Integer.getInteger("bench.inflight", 10_000);
    private static final int PORT = Integer.getInteger("bench.mqtt.port", 1883);
    static final String ACCOUNT = "bench";
    static final String CLIENT = "swaphub";
    static final String IDENTITY = "bench-hub";
    static final byte[] SECRET = "bench-mesh-secret".getBytes(StandardCharsets.US_ASCII);

    /** Notes the first confirmation after {@link #arm()}. */
    static final class Timed implements HeadEndSession {
        final HeadEndSession delegate;
        final String name;
        volatile long armedAt;
        final AtomicLong firstConfirmed = new AtomicLong();

        Timed(String name, HeadEndSession delegate) {
            this.name = name;
            this.delegate = delegate;
        }

        void arm(long t0) {
            firstConfirmed.set(0);
            armedAt = t0;
        }

        @Override
        public String technology() {
            return delegate.technology();
        }

        @Override
        public boolean isConnected() {
            return delegate.isConnected();
        }

        @Override
        public int maxPayloadSize() {
            return delegate.maxPayloadSize();
        }

        @Override
        public CompletionStage<Instant> publish(String topic, byte[] payload, int qos) {
            return delegate.publish(topic, payload, qos);
        }

        @Override
        public CompletionStage<Instant> publish(OutboundMessage message) {
            return delegate.publish(message).whenComplete((i, e) -> {
                if (e == null && armedAt != 0) {
                    firstConfirmed.compareAndSet(0, System.nanoTime());
                }
            });
        }

        @Override
        public Subscription subscribe(String topicFilter, int qos, InboundListener listener) {
            return delegate.subscribe(topicFilter, qos, listener);
        }
    }

    public static void main(String[] args) {
        try {
            run();
        } catch (Throwable e) {
            e.printStackTrace();
            System.exit(2); // Paho and Californium threads would keep the JVM alive
        }
    }

    static void run() throws Exception {
        String broker = "tcp://127.0.0.1:" + PORT;
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", "target")).toAbsolutePath(),
                "wan-swap-bench");
        SqliteDatabase hubDb = SqliteDatabase.open(dir.resolve("hub.db"), Durability.FULL, true);
        SqliteDatabase outboxDb = SqliteDatabase.open(dir.resolve("outbox.db"), Durability.FULL, true);
        HubStore store = new HubStore() {
            @Override
            public SqliteDatabase hub() {
                return hubDb;
            }

            @Override
            public SqliteDatabase outbox() {
                return outboxDb;
            }

            @Override
            public Path dataDir() {
                return dir;
            }
        };
        Logger log = LastGaspBench.logger();
        BundleContext context = LastGaspBench.context(Map.of());
        ConfigGuard guard = new ConfigGuard(context, log);
        OutboxService outbox = new OutboxService(store, guard, log, LastGaspBench.config(OutboxService.Config.class),
                Map.of());
        Method add = OutboxService.class.getDeclaredMethod("addSession", HeadEndSession.class, Map.class);
        add.setAccessible(true);
        Method remove = OutboxService.class.getDeclaredMethod("removeSession", HeadEndSession.class);
        remove.setAccessible(true);

        // the head end
        Set<String> received = ConcurrentHashMap.newKeySet();
        MqttAsyncClient headEnd = new MqttAsyncClient(broker, "bench-headend", new MemoryPersistence());
        MqttConnectOptions ho = new MqttConnectOptions();
        ho.setCleanSession(true);
        ho.setMaxInflight(1000);
        headEnd.connect(ho).waitForCompletion(10_000);
        headEnd.subscribe(ACCOUNT + "/" + CLIENT + "/#", 1, (topic, m) -> received.add(KuraDataCodec.decode(m.getPayload())
                .messageId())).waitForCompletion(10_000);

        // the border gateway at its default radio (GatewayConfig: 40 ms latency, 10 ms jitter, 0 % loss)
        BorderGateway gateway = new BorderGateway(GatewaySettings.loopback(new RadioRelay.Radio(40, 10, 0, 1024, 11),
                broker, IDENTITY, SECRET, ACCOUNT, CLIENT), null);
        gateway.start();
        await(gateway::brokerConnected, 20_000, "gateway at the broker");

        Kura kura = new Kura(broker);
        Timed gprs = new Timed("gprs", kura.session);
        kura.linkUp(true);
        await(gprs::isConnected, 20_000, "Kura session connected");
        final Timed mesh = new Timed("mesh", startMesh(gateway));

        int pref = 1_000;
        add.invoke(outbox, gprs, Map.of(HeadEndSession.PREFERENCE, pref--));
        add.invoke(outbox, mesh, Map.of(HeadEndSession.PREFERENCE, pref--));
        Timed active = gprs;
        Timed standby = mesh;

        String run = Long.toHexString(System.nanoTime());
        long[] enqueued = {0};
        List<Double> toMesh = new ArrayList<>();
        List<Double> toGprs = new ArrayList<>();
        for (int s = 0; s < SWAPS; s++) {
            // top up: IN_FLIGHT messages wait in the outbox at the moment of the swap
            long pending = outbox.stats().pending();
            List<OutboundMessage> batch = new ArrayList<>();
            for (long i = pending; i < IN_FLIGHT; i++) {
                long seq = enqueued[0]++;
                batch.add(new OutboundMessage(run + "-" + seq, "meter/readings", OutboundMessage.PRIORITY_NORMAL, 1,
                        Instant.now(), ("reading " + seq).getBytes(StandardCharsets.UTF_8)));
                if (batch.size() == 1_000) {
                    outbox.enqueueAll(batch);
                    batch = new ArrayList<>();
                }
            }
            if (!batch.isEmpty()) {
                outbox.enqueueAll(batch);
            }
            final Timed old = active;
            final Timed next = standby;
            await(next::isConnected, 30_000, next.name + " standby connected");
            await(() -> old.firstConfirmed.get() != 0 || old.armedAt == 0, 30_000, old.name + " delivering");
            Thread.sleep(300); // the old link carries traffic for a while
            long t0 = System.nanoTime();
            next.arm(t0);
            // the active link's bundle stops: its session leaves the outbox, then the link goes away
            remove.invoke(outbox, old);
            if (old == gprs) {
                kura.linkUp(false);
            } else {
                ((MeshLink) old.delegate).stop();
            }
            await(() -> next.firstConfirmed.get() != 0, 60_000, "first delivery over " + next.name);
            double gapMs = (next.firstConfirmed.get() - t0) / 1e6;
            (next == gprs ? toGprs : toMesh).add(gapMs);
            System.err.printf("swap %d %s -> %s: gap %.1f ms, pending %d%n", s + 1, old.name, next.name, gapMs,
                    outbox.stats().pending());
            // the old link comes back as the standby
            Timed back;
            if (old == gprs) {
                kura.linkUp(true);
                gprs.arm(0);
                back = gprs;
            } else {
                back = new Timed("mesh", startMesh(gateway));
            }
            add.invoke(outbox, back, Map.of(HeadEndSession.PREFERENCE, pref--));
            active = next;
            standby = back;
        }
        // drain over the faster path
        if (active != gprs) {
            remove.invoke(outbox, active);
            ((MeshLink) active.delegate).stop();
            await(gprs::isConnected, 30_000, "Kura session connected");
        } else {
            remove.invoke(outbox, standby);
            ((MeshLink) standby.delegate).stop();
        }
        await(() -> outbox.stats().pending() == 0, 300_000, "drained outbox");
        long total = enqueued[0];
        await(() -> received.size() >= total, 120_000, "all at the head end (" + total + ")");
        long lost = 0;
        for (long i = 0; i < total; i++) {
            if (!received.contains(run + "-" + i)) {
                lost++;
            }
        }

        // peer: a plain Paho reconnect to the same broker
        List<Double> reconnect = new ArrayList<>();
        MqttConnectOptions po = new MqttConnectOptions();
        po.setCleanSession(true);
        for (int i = 0; i < SWAPS; i++) {
            MqttAsyncClient gone = new MqttAsyncClient(broker, "bench-peer", new MemoryPersistence());
            gone.connect(po).waitForCompletion(10_000);
            // the old connection is gone once its disconnect completed: the gap runs from there. A new
            // client object reconnects (the same object takes ~300 ms longer to connect again: Paho's
            // own pause, not the network's)
            gone.disconnect(0).waitForCompletion(10_000);
            gone.close();
            long t0 = System.nanoTime();
            MqttAsyncClient peer = new MqttAsyncClient(broker, "bench-peer", new MemoryPersistence());
            peer.connect(po).waitForCompletion(10_000);
            MqttMessage m = new MqttMessage(KuraDataCodec.encode("peer-" + i, Instant.now(), new byte[10]));
            m.setQos(1);
            peer.publish("bench/peer", m).waitForCompletion(10_000);
            reconnect.add((System.nanoTime() - t0) / 1e6);
            peer.disconnect().waitForCompletion(10_000);
            peer.close();
            Thread.sleep(50);
        }

        // second peer: the floor of a reconnect on this machine, raw MQTT 3.1.1 over a plain socket
        List<Double> raw = new ArrayList<>();
        for (int i = 0; i < SWAPS; i++) {
            raw.add(rawReconnect(PORT, "bench-raw-" + i));
            Thread.sleep(20);
        }

        List<Double> all = new ArrayList<>(toMesh);
        all.addAll(toGprs);
        double peer50 = pct(reconnect, 50);
        double peer99 = pct(reconnect, 99);
        System.err.println("swaps: " + toMesh.size() + " gprs->mesh " + toMesh + ", " + toGprs.size() + " mesh->gprs "
                + toGprs + "; peer " + reconnect + "; " + total + " messages, " + received.size() + " distinct at the head end");
        figure("wan_swap.gap.p50", pct(all, 50), "ms", "paho_reconnect.p50", peer50);
        figure("wan_swap.gap.p99", pct(all, 99), "ms", "paho_reconnect.p99", peer99);
        figure("wan_swap.gap.gprs_to_mesh.p50", pct(toMesh, 50), "ms", "paho_reconnect.p50", peer50);
        figure("wan_swap.gap.mesh_to_gprs.p50", pct(toGprs, 50), "ms", "paho_reconnect.p50", peer50);
        figure("wan_swap.gap.p50", pct(all, 50), "ms", "raw_mqtt_reconnect.p50", pct(raw, 50));
        System.out.printf("figure=wan_swap.lost value=%d unit=messages peer=target peer_value=0 ratio=%s%n", lost,
                lost == 0 ? "0" : "inf");

        kura.close();
        gateway.stop();
        headEnd.disconnect().waitForCompletion(10_000);
        headEnd.close();
        Method deactivate = OutboxService.class.getDeclaredMethod("deactivate");
        deactivate.setAccessible(true);
        deactivate.invoke(outbox);
        hubDb.close();
        outboxDb.close();
        System.exit(lost == 0 ? 0 : 1);
    }

    static MeshLink startMesh(BorderGateway gateway) throws Exception {
        // the link's defaults (MeshConfig), pointed at the gateway's radio
        MeshSettings s = new MeshSettings(URI.create(gateway.meshUri()), "127.0.0.1", IDENTITY, SECRET, 2_000, 4,
                120_000, 20_000, 30_000, 5_000, 512, 1024, 65_536, 100_000, 1, 30, 10);
        MeshLink link = new MeshLink(s, new MeshLog() {
            @Override
            public void debug(String message) {
            }

            @Override
            public void info(String message) {
            }

            @Override
            public void warn(String message) {
                System.err.println("mesh: " + message);
            }

            @Override
            public void event(Severity severity, String code, String detail) {
            }
        }, st -> { });
        link.start();
        await(link::isConnected, 30_000, "mesh link UP");
        return link;
    }

    /** The real Kura session (package-private in headend-kura), built as its component does. */
    static final class Kura {
        final HeadEndSession session;
        private final Method linkChanged;
        private final Method close;

        Kura(String broker) throws Exception {
            KuraSessionConfig config = (KuraSessionConfig) Proxy.newProxyInstance(KuraSessionConfig.class.getClassLoader(),
                    new Class<?>[] {KuraSessionConfig.class}, (p, m, a) -> switch (m.getName()) {
                        case "brokerUri" -> broker;
                        case "accountName" -> ACCOUNT;
                        case "clientId" -> CLIENT;
                        case "backoffMinMs" -> 100;
                        case "backoffMaxMs" -> 1_000;
                        default -> m.getDefaultValue();
                    });
            String pkg = "org.modhub.headend.kura.internal.";
            Class<?> settingsType = Class.forName(pkg + "KuraSettings");
            Method from = settingsType.getDeclaredMethod("from", KuraSessionConfig.class, String.class, String.class);
            from.setAccessible(true);
            Object settings = from.invoke(null, config, broker, "00-00-00-00-00-00-00-01");
            Class<?> appsType = Class.forName(pkg + "CloudApps");
            Constructor<?> appsNew = appsType.getDeclaredConstructor();
            appsNew.setAccessible(true);
            Class<?> hostType = Class.forName(pkg + "SessionHost");
            Object host = Proxy.newProxyInstance(hostType.getClassLoader(), new Class<?>[] {hostType},
                    (p, m, a) -> m.getName().equals("hubMetrics") ? Map.of() : null);
            Class<?> sessionType = Class.forName(pkg + "KuraSession");
            Constructor<?> c = sessionType.getDeclaredConstructor(settingsType, appsType, hostType, String.class);
            c.setAccessible(true);
            session = (HeadEndSession) c.newInstance(settings, appsNew.newInstance(), host, "ip");
            Method start = sessionType.getDeclaredMethod("start");
            start.setAccessible(true);
            start.invoke(session);
            linkChanged = sessionType.getDeclaredMethod("linkChanged", boolean.class, String.class);
            linkChanged.setAccessible(true);
            close = sessionType.getDeclaredMethod("close");
            close.setAccessible(true);
        }

        void linkUp(boolean up) throws Exception {
            linkChanged.invoke(session, up, up ? "gprs" : "");
        }

        void close() throws Exception {
            close.invoke(session);
        }
    }

    /** TCP connect, CONNECT/CONNACK, one QoS 1 PUBLISH/PUBACK, by hand: the broker's and the network's share. */
    static double rawReconnect(int port, String clientId) throws Exception {
        byte[] id = clientId.getBytes(StandardCharsets.US_ASCII);
        java.io.ByteArrayOutputStream connect = new java.io.ByteArrayOutputStream();
        byte[] vh = {0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60};
        connect.write(0x10);
        connect.write(vh.length + 2 + id.length);
        connect.write(vh);
        connect.write(id.length >> 8);
        connect.write(id.length);
        connect.write(id);
        byte[] topic = "bench/raw".getBytes(StandardCharsets.US_ASCII);
        byte[] payload = new byte[10];
        java.io.ByteArrayOutputStream publish = new java.io.ByteArrayOutputStream();
        publish.write(0x32);
        publish.write(2 + topic.length + 2 + payload.length);
        publish.write(0);
        publish.write(topic.length);
        publish.write(topic);
        publish.write(0);
        publish.write(1);
        publish.write(payload);
        long t0 = System.nanoTime();
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setTcpNoDelay(true);
            java.io.OutputStream out = socket.getOutputStream();
            java.io.DataInputStream in = new java.io.DataInputStream(socket.getInputStream());
            out.write(connect.toByteArray());
            byte[] connack = new byte[4];
            in.readFully(connack);
            if (connack[0] != 0x20 || connack[3] != 0) {
                throw new IllegalStateException("CONNACK refused");
            }
            out.write(publish.toByteArray());
            byte[] puback = new byte[4];
            in.readFully(puback);
            double ms = (System.nanoTime() - t0) / 1e6;
            out.write(new byte[] {(byte) 0xE0, 0});
            return ms;
        }
    }

    static void await(BooleanSupplier condition, long ms, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                throw new IllegalStateException("timed out waiting for " + what);
            }
            Thread.sleep(1);
        }
    }

    static double pct(List<Double> values, int p) {
        return Stats.percentile(values, p);
    }

    static void figure(String name, double value, String unit, String peer, double peerValue) {
        System.out.printf("figure=%s value=%.1f unit=%s peer=%s peer_value=%.1f ratio=%.2f%n", name, value, unit, peer,
                peerValue, value / peerValue);
    }
}
