package org.modhub.mesh.link.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.modhub.api.cloud.KuraDataCodec;
import org.modhub.api.messaging.OutboundMessage;
import org.modhub.api.wan.LinkState;
import org.modhub.mesh.gateway.internal.BorderGateway;
import org.modhub.mesh.gateway.internal.GatewaySettings;
import org.modhub.mesh.gateway.internal.RadioRelay;
import org.modhub.testing.mosquitto.Mosquitto;

/**
 * The real mesh link against the border-gateway emulator (real CoAP/DTLS, emulated radio) and a real
 * Mosquitto broker; what the head end sees is checked byte for byte against {@link KuraDataCodec}.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class MeshLinkGatewayTest {
    static final String ACCOUNT = "acct";
    static final String CLIENT = "hub-1";
    static final String IDENTITY = "hub-1-psk";
    static final byte[] SECRET = "mesh-secret-0123".getBytes(StandardCharsets.US_ASCII);
    static final Duration WAIT = Duration.ofSeconds(60);

    static Mosquitto broker;
    static MqttClient headEnd;
    static final List<Object[]> received = new CopyOnWriteArrayList<>();

    final RecordingLog log = new RecordingLog();
    BorderGateway gateway;
    MeshLink link;

    @BeforeAll
    static void broker() throws Exception {
        broker = new Mosquitto().start();
        headEnd = new MqttClient(broker.uri(), "head-end", new MemoryPersistence());
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(true);
        headEnd.connect(o);
        headEnd.subscribe(ACCOUNT + "/" + CLIENT + "/#", 1,
                (topic, message) -> received.add(new Object[] {topic, message.getPayload()}));
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (headEnd != null) {
            headEnd.disconnect();
            headEnd.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @BeforeEach
    void clear() {
        received.clear();
    }

    @AfterEach
    void stop() {
        if (link != null) {
            link.stop();
        }
        if (gateway != null) {
            gateway.stop();
        }
    }

    static RadioRelay.Radio radio(int latencyMs, int jitterMs, double loss) {
        return new RadioRelay.Radio(latencyMs, jitterMs, loss, 1024, 42);
    }

    BorderGateway startGateway(GatewaySettings s) throws Exception {
        BorderGateway g = new BorderGateway(s, null);
        g.start();
        await(Duration.ofSeconds(20), g::brokerConnected, "gateway connected to the broker");
        return g;
    }

    static GatewaySettings gatewaySettings(RadioRelay.Radio radio) {
        return GatewaySettings.loopback(radio, broker.uri(), IDENTITY, SECRET, ACCOUNT, CLIENT);
    }

    static MeshSettings linkSettings(String uri, byte[] secret) {
        return new MeshSettings(URI.create(uri), "127.0.0.1", IDENTITY, secret, 500, 3, 60_000, 8_000, 1_000, 500,
                512, 1024, 65_536, 100_000, 2, 30, 10);
    }

    MeshLink startLink(String uri) throws Exception {
        MeshLink l = new MeshLink(linkSettings(uri, SECRET), log, s -> { });
        l.start();
        await(WAIT, l::isConnected, "mesh link UP");
        return l;
    }

    static void await(Duration timeout, BooleanSupplier condition, String what) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(20);
        }
    }

    static OutboundMessage message(int i, byte[] body) {
        return new OutboundMessage("msg-" + i + "-" + System.nanoTime(), "meter/readings", 4, 1,
                Instant.now().truncatedTo(ChronoUnit.MILLIS).minusSeconds(i), body);
    }

    /** Publishes every message, retrying failed ones as the outbox does, until all are confirmed. */
    void publishAll(List<OutboundMessage> messages) throws Exception {
        List<OutboundMessage> pending = new ArrayList<>(messages);
        long end = System.nanoTime() + WAIT.toNanos() * 2;
        while (!pending.isEmpty()) {
            assertTrue(System.nanoTime() - end < 0, "messages still unconfirmed: " + pending.size());
            if (!link.isConnected()) {
                Thread.sleep(100);
                continue;
            }
            Map<OutboundMessage, CompletableFuture<Instant>> futures = new HashMap<>();
            for (OutboundMessage m : pending) {
                futures.put(m, link.publish(m).toCompletableFuture());
            }
            List<OutboundMessage> failed = new ArrayList<>();
            for (Map.Entry<OutboundMessage, CompletableFuture<Instant>> e : futures.entrySet()) {
                try {
                    e.getValue().get(90, TimeUnit.SECONDS);
                } catch (Exception ex) {
                    System.out.println("publish of " + e.getKey().id() + " failed, will retry: " + ex.getCause());
                    failed.add(e.getKey());
                }
            }
            pending = failed;
        }
    }

    /** Every message arrived (duplicates allowed) with exactly the topic and bytes of KuraDataCodec. */
    static void assertDelivered(List<OutboundMessage> messages) throws Exception {
        Map<String, byte[]> expected = new HashMap<>();
        for (OutboundMessage m : messages) {
            expected.put(m.id(), KuraDataCodec.encode(m.id(), m.createdAt(), m.payload()));
        }
        await(WAIT, () -> ids().containsAll(expected.keySet()), "all messages at the head end");
        String topic = KuraDataCodec.dataTopic(ACCOUNT, CLIENT, "meter/readings");
        for (Object[] r : received) {
            assertEquals(topic, r[0]);
            String id = KuraDataCodec.decode((byte[]) r[1]).messageId();
            assertTrue(expected.containsKey(id), "unexpected message " + id);
            assertArrayEquals(expected.get(id), (byte[]) r[1], "payload bytes of " + id);
        }
    }

    static Set<String> ids() {
        Set<String> ids = new HashSet<>();
        for (Object[] r : received) {
            try {
                ids.add(KuraDataCodec.decode((byte[]) r[1]).messageId());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
        return ids;
    }

    @Test
    void publishesReachTheHeadEndWithTheKuraTopicAndBytes() throws Exception {
        gateway = startGateway(gatewaySettings(radio(5, 0, 0)));
        link = startLink(gateway.meshUri());
        assertEquals("mesh", link.technology());
        assertEquals(1024, link.properties().mtu());
        List<OutboundMessage> messages = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            // small bodies stay plain, repetitive ones are gzip'd by KuraDataCodec: both must match
            byte[] body = i % 2 == 0 ? ("reading " + i).getBytes(StandardCharsets.UTF_8)
                    : "0123456789".repeat(30).getBytes(StandardCharsets.UTF_8);
            messages.add(message(i, body));
        }
        publishAll(messages);
        assertDelivered(messages);
        assertEquals(20, ids().size());
        assertEquals(LinkState.UP, link.status().state());
    }

    /**
     * 20 % of datagrams lost each way. This stalled once: Californium's CoCoA layer freed an NSTART slot
     * only on an answer or a final timeout, never on a cancelled request or a send error, and kept its
     * per-peer state across DTLS sessions, so after the first reconnection every request (the ping too)
     * queued for ever; and the link's "silent for MAX_TRANSMIT_WAIT" rule assumed binary backoff while
     * CoCoA backs off by 3 below 1 s RTO. Now the link enforces NSTART itself, probes with pings that
     * queue behind nothing, and builds a fresh endpoint on each reconnection.
     */
    @Test
    void nothingIsLostOnALossySlowRadio() throws Exception {
        gateway = startGateway(gatewaySettings(radio(30, 0, 0.2)));
        link = startLink(gateway.meshUri());
        List<OutboundMessage> messages = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            messages.add(message(i, ("reading " + i).getBytes(StandardCharsets.UTF_8)));
        }
        publishAll(messages);
        assertDelivered(messages);
        assertTrue(gateway.radio().dropped() > 0, "the radio lost datagrams");
        System.out.println("lossy radio: dropped " + gateway.radio().dropped() + " of " + gateway.radio().relayed()
                + " datagrams; retransmissions " + link.retransmissionPercent() + "%; received " + received.size()
                + " publishes for " + messages.size() + " messages");
    }

    /** 15 % loss with up to 20 ms of jitter, so datagrams (and answers) arrive out of order. */
    @Test
    void nothingIsLostOnALossyRadioThatReorders() throws Exception {
        gateway = startGateway(gatewaySettings(radio(30, 20, 0.15)));
        link = startLink(gateway.meshUri());
        List<OutboundMessage> messages = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            messages.add(message(i, ("reading " + i).getBytes(StandardCharsets.UTF_8)));
        }
        publishAll(messages);
        assertDelivered(messages);
    }

    @Test
    void largePayloadsGoBlockWise() throws Exception {
        gateway = startGateway(gatewaySettings(radio(5, 0, 0.05)));
        link = startLink(gateway.meshUri());
        byte[] body = new byte[20_000];
        new Random(7).nextBytes(body); // incompressible: the head end gets > 20 kB
        OutboundMessage m = message(1, body);
        publishAll(List.of(m));
        assertDelivered(List.of(m));
        assertTrue(gateway.block1Requests() >= 20_000 / 512, "block-wise requests: " + gateway.block1Requests());
        assertTrue(gateway.largestRequestPayload() <= 512, "largest request: " + gateway.largestRequestPayload());
        assertEquals(0, gateway.radio().oversized(), "no datagram above the radio MTU");
    }

    @Test
    void commandsFromTheHeadEndReachTheHubOnceEach() throws Exception {
        gateway = startGateway(gatewaySettings(radio(20, 10, 0.1)));
        link = startLink(gateway.meshUri());
        List<Object[]> commands = new CopyOnWriteArrayList<>();
        link.subscribe("hub/command", 1, (topic, payload) -> commands.add(new Object[] {topic, payload}));
        await(WAIT, () -> gateway.subscriptions() == 1, "subscription at the gateway");
        Thread.sleep(500); // the gateway's MQTT SUBACK
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            byte[] body = ("command " + i).getBytes(StandardCharsets.UTF_8);
            sent.add(body);
            headEnd.publish(ACCOUNT + "/" + CLIENT + "/hub/command",
                    new MqttMessage(KuraDataCodec.encode("cmd-" + i, Instant.now(), body)));
        }
        byte[] big = new byte[3_000];
        new Random(3).nextBytes(big);
        sent.add(big);
        headEnd.publish(ACCOUNT + "/" + CLIENT + "/hub/command",
                new MqttMessage(KuraDataCodec.encode("cmd-big", Instant.now(), big)));
        await(WAIT, () -> commands.size() >= sent.size(), "commands at the hub");
        Thread.sleep(1_000); // no late duplicates either
        assertEquals(sent.size(), commands.size());
        for (int i = 0; i < sent.size(); i++) {
            assertEquals("hub/command", commands.get(i)[0]);
            assertArrayEquals(sent.get(i), (byte[]) commands.get(i)[1], "command " + i);
        }
    }

    @Test
    void theGatewayGoingAwayTurnsTheLinkDownAndBackUp() throws Exception {
        GatewaySettings s = gatewaySettings(radio(5, 0, 0));
        gateway = startGateway(s);
        link = startLink(gateway.meshUri());
        List<byte[]> commands = new CopyOnWriteArrayList<>();
        link.subscribe("hub/#", 1, (topic, payload) -> commands.add(payload));
        await(WAIT, () -> gateway.subscriptions() == 1, "subscription at the gateway");
        int coap = gateway.coapAddress().getPort();
        int radioPort = gateway.meshAddress().getPort();

        gateway.stop();
        await(WAIT, () -> link.status().state() == LinkState.DOWN, "link DOWN");
        assertTrue(log.has("MESH_LINK_DOWN"));
        assertTrue(link.publish(message(0, new byte[1])).toCompletableFuture().isCompletedExceptionally(),
                "publish refused while DOWN");

        gateway = startGateway(s.withPorts(coap, radioPort));
        await(WAIT, () -> link.status().state() == LinkState.UP, "link UP again");
        OutboundMessage m = message(1, "after restart".getBytes(StandardCharsets.UTF_8));
        publishAll(List.of(m));
        assertDelivered(List.of(m));
        // the subscription was registered again with the new gateway
        await(WAIT, () -> gateway.subscriptions() == 1, "subscription at the restarted gateway");
        Thread.sleep(500);
        headEnd.publish(ACCOUNT + "/" + CLIENT + "/hub/command",
                new MqttMessage(KuraDataCodec.encode("cmd-after", Instant.now(), new byte[] {1, 2, 3})));
        await(WAIT, () -> commands.size() == 1, "command after the restart");
        assertArrayEquals(new byte[] {1, 2, 3}, commands.get(0));
    }

    @Test
    void aWrongKeyNeverComesUp() throws Exception {
        gateway = startGateway(gatewaySettings(radio(0, 0, 0)));
        link = new MeshLink(linkSettings(gateway.meshUri(), "another-secret-1".getBytes(StandardCharsets.US_ASCII)),
                log, s -> { });
        link.start();
        await(WAIT, () -> log.events.stream().filter(e -> e.code().equals("MESH_LINK_DOWN")).count() >= 1
                || link.status().state() == LinkState.DOWN && !link.status().reason().equals("not started"),
                "a failed connection attempt");
        Thread.sleep(1_500);
        assertTrue(!link.isConnected(), "link must not be usable: " + link.status());
        assertTrue(link.publish(message(0, new byte[1])).toCompletableFuture().isCompletedExceptionally());
        System.out.println("wrong key: " + link.status());
    }
}
