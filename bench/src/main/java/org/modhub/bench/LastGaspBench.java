package org.modhub.bench;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.Severity;
import org.modhub.api.messaging.Envelope;
import org.modhub.api.messaging.PreparedAlert;
import org.modhub.api.power.PowerState;
import org.modhub.api.power.PowerStatus;
import org.modhub.api.wan.HeadEndSession;
import org.modhub.core.internal.config.ConfigGuard;
import org.modhub.core.internal.db.Durability;
import org.modhub.core.internal.db.HubStore;
import org.modhub.core.internal.db.SqliteDatabase;
import org.modhub.core.internal.event.SqliteEventLog;
import org.modhub.core.internal.outbox.OutboxService;
import org.modhub.core.internal.router.HubMessageRouter;
import org.modhub.core.internal.state.SqliteStateStore;
import org.modhub.lastgasp.internal.ExecutorScheduler;
import org.modhub.lastgasp.internal.OutageRecord;
import org.modhub.lastgasp.internal.OutageTracker;
import org.modhub.lastgasp.internal.Settings;
import org.modhub.pki.internal.HubKeys;
import org.modhub.pki.internal.PkiAgent;
import org.osgi.framework.BundleContext;
import org.osgi.service.log.Logger;

/**
 * {@code bench/run lastgasp}: from the qualification timer's expiry to the power-outage alert's bytes
 * handed to the WAN session and confirmed (PUBACK) by a local mosquitto, through the real path:
 * {@link OutageTracker} (alert prepared at loss: counter reserved and signed by the PKI agent through
 * {@link HubMessageRouter#prepareAlert}) → hub-core {@link HubMessageRouter#alert(PreparedAlert, int)}
 * (sent as prepared) → hub-core outbox (priority 0: handed to the connected session at once,
 * concurrently with its durable commit, WAL synchronous=FULL) → a {@link HeadEndSession} over Paho
 * (QoS 1). Peer: a raw Paho QoS 1 publish of the same bytes on the
 * same connection, in the same run, interleaved. Between samples the hub is idle (the dispatcher
 * waits on its signal), as it is when power fails.
 */
public final class LastGaspBench {
    private static final int RUNS = Integer.getInteger("bench.runs", 5);
    private static final int SAMPLES = Integer.getInteger("bench.samples", 200);
    private static final int PORT = Integer.getInteger("bench.mqtt.port", 1883);
    static final Eui64 HUB = Eui64.parse("00-DB-12-34-56-78-90-A4");
    static volatile long queuedAt;
    static volatile PreparedAlert lastPrepared;

    /** A head-end session over one Paho connection, noting when each publish was handed over and acked. */
    static final class PahoSession implements HeadEndSession {
        final MqttAsyncClient client;
        volatile long lastPublishCall;
        volatile CompletableFuture<Long> alertAcked = new CompletableFuture<>();

        PahoSession(MqttAsyncClient client) {
            this.client = client;
        }

        @Override
        public String technology() {
            return "bench-mqtt";
        }

        @Override
        public boolean isConnected() {
            return client.isConnected();
        }

        @Override
        public int maxPayloadSize() {
            return 256 * 1024;
        }

        @Override
        public CompletionStage<Instant> publish(String topic, byte[] payload, int qos) {
            CompletableFuture<Instant> f = new CompletableFuture<>();
            boolean alert = topic.equals("hub/alert");
            CompletableFuture<Long> acked = alertAcked;
            try {
                if (alert) {
                    lastPublishCall = System.nanoTime();
                }
                MqttMessage m = new MqttMessage(payload);
                m.setQos(qos);
                client.publish("modhub/" + HUB.toHex() + "/" + topic, m, null, new IMqttActionListener() {
                    @Override
                    public void onSuccess(IMqttToken token) {
                        if (alert) {
                            acked.complete(System.nanoTime());
                        }
                        f.complete(Instant.now());
                    }

                    @Override
                    public void onFailure(IMqttToken token, Throwable e) {
                        f.completeExceptionally(e);
                    }
                });
            } catch (Exception e) {
                f.completeExceptionally(e);
            }
            return f;
        }

        @Override
        public Subscription subscribe(String topicFilter, int qos, InboundListener listener) {
            try {
                String wire = "modhub/" + HUB.toHex() + "/" + topicFilter;
                client.subscribe(wire, qos, (t, m) -> listener.received(t.substring(wire.length() - topicFilter.length()),
                        m.getPayload())).waitForCompletion(5_000);
                return () -> {
                    try {
                        client.unsubscribe(wire);
                    } catch (Exception ignored) {
                        // closing
                    }
                };
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", "target")).toAbsolutePath(),
                "lastgasp-bench");
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
        Logger log = logger();
        BundleContext context = context(Map.of("modhub.hub.id", HUB.toString()));
        ConfigGuard guard = new ConfigGuard(context, log);
        SqliteEventLog events = new SqliteEventLog(store, guard, log, config(SqliteEventLog.Config.class), Map.of());
        SqliteStateStore state = new SqliteStateStore(store);
        OutboxService outbox = new OutboxService(store, guard, log, config(OutboxService.Config.class), Map.of());
        HubMessageRouter router = new HubMessageRouter(outbox, state, events, guard, log, context,
                config(HubMessageRouter.Config.class), Map.of());
        // the hub's signer, as when security-pki is present: the outage alert is signed at loss time
        PkiAgent pki = new PkiAgent(state, events, log, config(PkiAgent.Config.class), dir, HUB.toString(), Map.of(),
                HubKeys.drbg(), Instant::now);
        router.setSigner(pki);

        MqttAsyncClient client = new MqttAsyncClient("tcp://127.0.0.1:" + PORT, "modhub-bench-" + HUB.toHex(),
                new MemoryPersistence());
        MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(true);
        options.setMaxInflight(100);
        client.connect(options).waitForCompletion(10_000);
        PahoSession session = new PahoSession(client);
        Method addSession = OutboxService.class.getDeclaredMethod("addSession", HeadEndSession.class, Map.class);
        addSession.setAccessible(true);
        addSession.invoke(outbox, session, Map.of());

        // qualification and restore delay long: the benchmark fires the expiry itself, exactly as the timer does
        Settings settings = new Settings(true, Duration.ofHours(1), Duration.ofMinutes(3), Duration.ZERO, Duration.ZERO,
                Duration.ZERO, 0x8F34, 0x8F35, 0x8F36, HUB, Eui64.parse("90-B3-D5-1F-30-01-00-00"));
        OutageTracker.Sink sink = new OutageTracker.Sink() {
            @Override
            public void persist(OutageRecord record) {
                state.put("org.modhub.last-gasp", "outage", record.encode());
            }

            @Override
            public void clear() {
                state.remove("org.modhub.last-gasp", "outage");
            }

            @Override
            public void event(String code, Severity severity, String detail) {
                events.log(org.modhub.api.event.HubEvent.of(org.modhub.api.event.EventKind.EVENT, code, severity, null,
                        "last-gasp", detail));
            }

            @Override
            public void alert(Envelope alert, int priority) {
                router.alert(alert, priority);
                queuedAt = System.nanoTime();
            }

            @Override
            public PreparedAlert prepare(Envelope alert, Instant due) {
                PreparedAlert p = router.prepareAlert(alert, due);
                lastPrepared = p;
                return p;
            }

            @Override
            public void alert(PreparedAlert prepared, int priority) {
                router.alert(prepared, priority);
                queuedAt = System.nanoTime();
            }
        };

        double[][] perRun = new double[RUNS][];
        byte[] rawBytes = null;
        try (ExecutorScheduler scheduler = new ExecutorScheduler("bench-last-gasp")) {
            OutageTracker tracker = new OutageTracker(settings, scheduler, new Random(1), sink, null);
            long changes = 0;
            tracker.start(new PowerStatus(PowerState.ON, Instant.now(), changes++), Optional.empty(), Instant.now());
            int warmup = 200;
            for (int r = 0; r < RUNS; r++) {
                long[] enqueued = new long[SAMPLES];
                long[] written = new long[SAMPLES];
                long[] acked = new long[SAMPLES];
                long[] raw = new long[SAMPLES];
                for (int i = -warmup; i < SAMPLES; i++) {
                    // --- modhub path ---
                    tracker.observe(new PowerStatus(PowerState.OFF, Instant.now(), changes++));
                    Envelope prepared = tracker.preparedOutageAlert().orElseThrow();
                    session.lastPublishCall = 0;
                    CompletableFuture<Long> ackFuture = new CompletableFuture<>();
                    session.alertAcked = ackFuture;
                    Thread.sleep(2); // idle hub: dispatcher parked
                    long t0 = System.nanoTime();
                    tracker.qualificationExpired();
                    long tEnqueued = queuedAt;
                    long tAcked = ackFuture.get(10, TimeUnit.SECONDS);
                    long tWritten = session.lastPublishCall;
                    // restore: its alert goes at once (delay 0); let the outbox drain before the next sample
                    tracker.observe(new PowerStatus(PowerState.ON, Instant.now(), changes++));
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while ((outbox.stats().pending() > 0 || tracker.record().isPresent()) && System.nanoTime() < deadline) {
                        Thread.sleep(1);
                    }
                    if (rawBytes == null) {
                        rawBytes = lastPrepared.wire();
                        if (!lastPrepared.signed() || lastPrepared.envelope().messageCode() != prepared.messageCode()) {
                            throw new IllegalStateException("the outage alert was not prepared signed");
                        }
                    }
                    // --- peer: raw Paho QoS 1 publish of the same bytes ---
                    Thread.sleep(2);
                    MqttMessage m = new MqttMessage(rawBytes);
                    m.setQos(1);
                    long p0 = System.nanoTime();
                    client.publish("modhub/" + HUB.toHex() + "/raw/alert", m).waitForCompletion(10_000);
                    long p1 = System.nanoTime();
                    if (i >= 0) {
                        enqueued[i] = tEnqueued - t0;
                        written[i] = tWritten - t0;
                        acked[i] = tAcked - t0;
                        raw[i] = p1 - p0;
                    }
                }
                warmup = 20;
                perRun[r] = new double[] {pct(acked, 50), pct(acked, 99), pct(raw, 50), pct(raw, 99), pct(written, 50),
                        pct(written, 99), pct(enqueued, 50), pct(enqueued, 99)};
                System.err.printf("run %d (ms): alert acked p50 %.3f p99 %.3f | raw publish p50 %.3f p99 %.3f | "
                        + "alert handed to session p50 %.3f p99 %.3f | alert durably queued (router.alert returned) p50 %.3f p99 %.3f%n",
                        r + 1, perRun[r][0], perRun[r][1], perRun[r][2], perRun[r][3], perRun[r][4], perRun[r][5],
                        perRun[r][6], perRun[r][7]);
            }
            tracker.stop();
        }
        System.err.println("alert size on the wire: " + rawBytes.length + " B (signed envelope with a 30 B payload)");
        double rawP50 = col(perRun, 2);
        double rawP99 = col(perRun, 3);
        figure("lastgasp.expiry_to_puback.p50", col(perRun, 0), "mqtt.raw_publish_qos1.p50", rawP50);
        figure("lastgasp.expiry_to_puback.p99", col(perRun, 1), "mqtt.raw_publish_qos1.p99", rawP99);
        figure("lastgasp.expiry_to_session_publish.p99", col(perRun, 5), "mqtt.raw_publish_qos1.p99", rawP99);
        figure("lastgasp.expiry_to_durable_enqueue.p99", col(perRun, 7), "mqtt.raw_publish_qos1.p99", rawP99);
        client.disconnect().waitForCompletion(5_000);
        client.close();
        Method deactivate = OutboxService.class.getDeclaredMethod("deactivate");
        deactivate.setAccessible(true);
        deactivate.invoke(outbox);
        hubDb.close();
        outboxDb.close();
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static void figure(String name, double value, String peer, double peerValue) {
        System.out.printf("figure=%s value=%.3f unit=ms peer=%s peer_value=%.3f ratio=%.2f%n", name, value, peer,
                peerValue, value / peerValue);
    }

    static double col(double[][] runs, int c) {
        double[] v = new double[runs.length];
        for (int i = 0; i < runs.length; i++) {
            v[i] = runs[i][c];
        }
        return Stats.median(v);
    }

    static double pct(long[] nanos, int p) {
        return Stats.percentileMs(nanos, p);
    }

    static Logger logger() {
        return (Logger) Proxy.newProxyInstance(LastGaspBench.class.getClassLoader(), new Class<?>[] {Logger.class},
                (proxy, method, a) -> method.getReturnType() == boolean.class ? Boolean.FALSE : null);
    }

    static BundleContext context(Map<String, String> properties) {
        return (BundleContext) Proxy.newProxyInstance(LastGaspBench.class.getClassLoader(),
                new Class<?>[] {BundleContext.class},
                (proxy, method, a) -> method.getName().equals("getProperty") ? properties.get((String) a[0]) : null);
    }

    @SuppressWarnings("unchecked")
    static <A extends Annotation> A config(Class<A> type) {
        return (A) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                (proxy, method, a) -> method.getDefaultValue());
    }
}
