package org.modhub.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modhub.api.cloud.KuraDataCodec;
import org.modhub.api.health.HealthState;
import org.modhub.api.health.HubHealth;
import org.modhub.api.messaging.OutboundMessage;
import org.modhub.api.messaging.Outbox;
import org.modhub.api.wan.HeadEndSession;
import org.modhub.api.wan.LinkProperties;
import org.modhub.api.wan.LinkState;
import org.modhub.api.wan.LinkStatus;
import org.modhub.api.wan.WanLink;
import org.modhub.testing.mosquitto.Mosquitto;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

/**
 * The hub-core outbox delivers through the Kura head-end session to a real Mosquitto broker; a Paho
 * subscriber stands for the head end. Stopping and starting the session bundle mid-stream loses
 * nothing (the head end de-duplicates by the message id the session puts on the wire).
 */
@ExtendWith({BundleContextExtension.class, ServiceExtension.class})
class KuraHeadEndTest {
    static final String PID = "org.modhub.headend.kura";
    static final String BSN = "org.modhub.headend-kura";
    static final String ACCOUNT = "itest";
    static final String CLIENT = "itesthub";

    @InjectBundleContext
    BundleContext context;
    @InjectService(timeout = 30_000)
    Outbox outbox;
    @InjectService(timeout = 30_000)
    ConfigurationAdmin cm;
    @InjectService(timeout = 30_000)
    HubHealth health;

    private Mosquitto broker;
    private MqttClient headEnd;
    private final Map<String, String> received = new ConcurrentHashMap<>(); // message id -> topic
    private final List<String> duplicates = new CopyOnWriteArrayList<>();
    private final List<String> control = new CopyOnWriteArrayList<>();
    private final AtomicBoolean headEndUp = new AtomicBoolean();
    private ServiceRegistration<WanLink> link;
    private String run;

    /** An IP link that is simply UP (the session runs over any technology but "mesh"). */
    static final class TestLink implements WanLink {
        @Override
        public String technology() {
            return "itest-ip";
        }

        @Override
        public LinkStatus status() {
            return LinkStatus.of(LinkState.UP, "test");
        }

        @Override
        public LinkProperties properties() {
            return new LinkProperties(1500, 1_000_000, false, OptionalInt.of(-67));
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        run = Long.toHexString(System.nanoTime());
        broker = new Mosquitto().start();
        headEnd = new MqttClient(broker.uri(), "itest-headend-" + run, new MemoryPersistence());
        headEnd.setCallback(new MqttCallback() {
            @Override
            public void connectionLost(Throwable cause) {
                headEndUp.set(false);
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) throws Exception {
                if (topic.startsWith("$EDC/")) {
                    control.add(topic);
                    return;
                }
                KuraDataCodec.DataMessage m = KuraDataCodec.decode(message.getPayload());
                if (received.putIfAbsent(m.messageId(), topic) != null) {
                    duplicates.add(m.messageId());
                }
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {
            }
        });
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(true);
        o.setMaxInflight(1000);
        headEnd.connect(o);
        headEnd.subscribe(new String[] {ACCOUNT + "/" + CLIENT + "/#", "$EDC/" + ACCOUNT + "/" + CLIENT + "/#"},
                new int[] {1, 1});
        headEndUp.set(true);

        Hashtable<String, Object> props = new Hashtable<>();
        props.put(WanLink.TECHNOLOGY, "itest-ip");
        props.put(WanLink.STATE, LinkState.UP.name());
        link = context.registerService(WanLink.class, new TestLink(), props);

        Configuration c = cm.getConfiguration(PID, "?");
        Hashtable<String, Object> cfg = new Hashtable<>();
        cfg.put("brokerUri", broker.uri());
        cfg.put("accountName", ACCOUNT);
        cfg.put("clientId", CLIENT);
        cfg.put("backoffMinMs", 100);
        cfg.put("backoffMaxMs", 1000);
        c.update(cfg);
        Await.until("the Kura session connected to " + broker.uri(), Duration.ofSeconds(60), () -> kuraSession() != null
                && kuraSession().isConnected(), () -> "(sessions " + sessions().size() + ", log " + broker.log() + ")");
    }

    @AfterEach
    void tearDown() throws Exception {
        Bundle b = bundle();
        if (b.getState() != Bundle.ACTIVE) {
            b.start();
        }
        Configuration c = cm.getConfiguration(PID, "?");
        c.delete();
        if (link != null) {
            link.unregister();
        }
        try {
            headEnd.disconnect(1000);
        } catch (MqttException e) {
            // done anyway
        }
        headEnd.close();
        broker.close();
        // without a broker configured the session is off and the hub healthy again
        Await.until("health UP after the test", Duration.ofSeconds(30), () -> health.overall() == HealthState.UP,
                () -> health.components().toString());
    }

    private Bundle bundle() {
        for (Bundle b : context.getBundles()) {
            if (BSN.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError(BSN + " is not installed");
    }

    private Collection<ServiceReference<HeadEndSession>> sessions() {
        try {
            return context.getServiceReferences(HeadEndSession.class, null);
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
    }

    private HeadEndSession kuraSession() {
        for (ServiceReference<HeadEndSession> r : sessions()) {
            if ("kura-mqtt".equals(r.getProperty("headend.protocol"))) {
                HeadEndSession s = context.getService(r);
                context.ungetService(r);
                return s;
            }
        }
        return null;
    }

    private List<OutboundMessage> messages(int from, int to) {
        List<OutboundMessage> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(new OutboundMessage(run + "-" + i, "METER/readings/" + run, OutboundMessage.PRIORITY_NORMAL, 1,
                    Instant.now(), ("reading " + i).getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }

    private long receivedOfRun(int from, int to) {
        long n = 0;
        for (int i = from; i < to; i++) {
            if (received.containsKey(run + "-" + i)) {
                n++;
            }
        }
        return n;
    }

    @Test
    void outboxDeliversThroughTheKuraSessionAndASessionRestartLosesNothing() throws Exception {
        assertEquals(1, sessions().size(), "only the Kura session carries messages in this test");
        Await.until("BIRTH", () -> control.contains("$EDC/" + ACCOUNT + "/" + CLIENT + "/MQTT/BIRTH"));

        int n = 1000;
        // a steady stream: the producer keeps enqueuing while the session bundle stops and starts
        Thread producer = new Thread(() -> {
            List<OutboundMessage> all = messages(0, n);
            for (int i = 0; i < n; i++) {
                outbox.enqueue(all.get(i));
                if (i % 5 == 4) {
                    Await.sleep(2);
                }
            }
        }, "itest-producer");
        producer.start();
        Await.until("some messages at the head end", Duration.ofSeconds(60), () -> receivedOfRun(0, n) >= 100,
                () -> "(" + outbox.stats() + ")");
        Bundle b = bundle();
        b.stop();
        long atStop = receivedOfRun(0, n);
        assertTrue(sessions().isEmpty(), "no session while the bundle is stopped");
        Await.sleep(300);
        long pendingWhileStopped = outbox.stats().pending();
        b.start();
        producer.join(120_000);
        Await.until("all " + n + " messages at the head end", Duration.ofSeconds(120), () -> receivedOfRun(0, n) == n,
                () -> "(got " + receivedOfRun(0, n) + ", outbox " + outbox.stats() + ")");
        Await.until("an empty outbox", Duration.ofSeconds(60), () -> outbox.stats().pending() == 0,
                () -> "(" + outbox.stats() + ")");
        System.out.println("KuraHeadEndTest: bundle stopped after " + atStop + " of " + n + " messages, "
                + pendingWhileStopped + " waited in the outbox; " + duplicates.size()
                + " duplicates (de-duplicated by message id)");
        assertTrue(atStop < n, "stopped mid-stream");
        // messages other tests left in the shared outbox may arrive too: this run's all go to its topic
        Set<String> topics = received.entrySet().stream().filter(e -> e.getKey().startsWith(run + "-"))
                .map(java.util.Map.Entry::getValue).collect(java.util.stream.Collectors.toSet());
        assertEquals(Set.of(ACCOUNT + "/" + CLIENT + "/METER/readings/" + run), topics);
        assertTrue(control.contains("$EDC/" + ACCOUNT + "/" + CLIENT + "/MQTT/DC"), "DC on bundle stop: " + control);
        assertTrue(control.stream().filter(t -> t.endsWith("/MQTT/BIRTH")).count() >= 2, "BIRTH again: " + control);
    }
}
