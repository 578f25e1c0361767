package org.modhub.wanitest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modhub.api.cloud.KuraDataCodec;
import org.modhub.api.messaging.OutboundMessage;
import org.modhub.api.messaging.Outbox;
import org.modhub.api.wan.HeadEndSession;
import org.modhub.gprs.emulator.internal.ModemEmulator;
import org.modhub.mesh.gateway.internal.BorderGateway;
import org.modhub.mesh.gateway.internal.GatewaySettings;
import org.modhub.mesh.gateway.internal.RadioRelay;
import org.modhub.testing.mosquitto.Mosquitto;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

/**
 * The thesis in miniature: readings stream from the hub-core outbox while the active WAN changes
 * gprs → mesh → gprs several times, by configured preference and by stopping, uninstalling and
 * installing the link bundles. The cellular path is the real gprs-link (AT driver on a socat pty, the
 * modem emulator on the other end) carrying the Kura MQTT session; the mesh path is the real mesh-link
 * (CoAP over DTLS) through the border-gateway emulator. Both end at the same real Mosquitto, where a
 * Paho subscriber stands for the head end and de-duplicates by message id. Nothing may be lost.
 */
@ExtendWith({BundleContextExtension.class, ServiceExtension.class})
class LiveWanSwapTest {
    static final String KURA_PID = "org.modhub.headend.kura";
    static final String GPRS_PID = "org.modhub.wan.gprs";
    static final String MESH_PID = "org.modhub.wan.mesh";
    static final String ACCOUNT = "swap";
    static final String CLIENT = "swaphub";
    static final String IDENTITY = "swaphub-psk";
    static final byte[] SECRET = "swap-mesh-secret".getBytes(StandardCharsets.US_ASCII);
    static final String APP_TOPIC = "meter/readings";
    static final Duration WAIT = Duration.ofSeconds(60);

    @InjectBundleContext
    BundleContext context;
    @InjectService(timeout = 30_000)
    Outbox outbox;
    @InjectService(timeout = 30_000)
    ConfigurationAdmin cm;

    private Mosquitto broker;
    private MqttClient headEnd;
    private final Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
    private Path dir;
    private Process socat;
    private ModemEmulator modem;
    private BorderGateway gateway;
    private final List<Configuration> configurations = new ArrayList<>();
    private Thread producer;
    private final AtomicBoolean producing = new AtomicBoolean();
    private final AtomicInteger produced = new AtomicInteger();
    private String run;

    @BeforeEach
    void setUp() throws Exception {
        run = Long.toHexString(System.nanoTime());
        broker = new Mosquitto().start();
        headEnd = new MqttClient(broker.uri(), "swap-headend-" + run, new MemoryPersistence());
        headEnd.setCallback(new MqttCallback() {
            @Override
            public void connectionLost(Throwable cause) {
                System.out.println("LiveWanSwapTest: head end lost the broker: " + cause);
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) throws Exception {
                String id = KuraDataCodec.decode(message.getPayload()).messageId();
                received.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {
            }
        });
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(true);
        o.setMaxInflight(1000);
        headEnd.connect(o);
        headEnd.subscribe(ACCOUNT + "/" + CLIENT + "/#", 1);

        dir = Files.createTempDirectory("modhub-wan-swap");
        Path modemEnd = dir.resolve("modem");
        Path hubEnd = dir.resolve("hub");
        socat = new ProcessBuilder("socat", "-d", "-d", "pty,raw,echo=0,link=" + modemEnd + ",mode=666",
                "pty,raw,echo=0,link=" + hubEnd + ",mode=666").redirectErrorStream(true)
                .redirectOutput(dir.resolve("socat.log").toFile()).start();
        await("socat's ptys", Duration.ofSeconds(20), () -> Files.exists(modemEnd) && Files.exists(hubEnd), () -> "");
        modem = new ModemEmulator(modemEnd.toString());
        modem.signal(20);

        gateway = new BorderGateway(GatewaySettings.loopback(new RadioRelay.Radio(20, 0, 0, 1024, 7), broker.uri(),
                IDENTITY, SECRET, ACCOUNT, CLIENT), null);
        gateway.start();
        await("the gateway at the broker", Duration.ofSeconds(20), gateway::brokerConnected, () -> "");
    }

    @AfterEach
    void tearDown() throws Exception {
        producing.set(false);
        if (producer != null) {
            producer.join(5_000);
        }
        for (String location : new String[] {GprsLink.LOCATION, MeshLink.LOCATION}) {
            Bundle b = context.getBundle(location);
            if (b != null) {
                b.uninstall();
            }
        }
        for (Configuration c : configurations) {
            try {
                c.delete();
            } catch (IllegalStateException | IOException e) {
                // already gone
            }
        }
        if (gateway != null) {
            gateway.stop();
        }
        if (modem != null) {
            modem.close();
        }
        if (socat != null) {
            socat.destroy();
            if (!socat.waitFor(5, TimeUnit.SECONDS)) {
                socat.destroyForcibly();
            }
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        if (headEnd != null) {
            headEnd.disconnect();
            headEnd.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    /** An embedded link bundle. */
    record Embedded(String entry, String location) {
    }

    static final class GprsLink {
        static final String LOCATION = "modhub-itest:gprs-link";
    }

    static final class MeshLink {
        static final String LOCATION = "modhub-itest:mesh-link";
    }

    private Bundle install(String entry, String location) throws Exception {
        URL url = context.getBundle().getEntry(entry);
        assertTrue(url != null, "embedded " + entry);
        try (InputStream in = url.openStream()) {
            Bundle b = context.installBundle(location, in);
            b.start();
            return b;
        }
    }

    private Bundle bundle(String location) {
        Bundle b = context.getBundle(location);
        assertTrue(b != null, location + " installed");
        return b;
    }

    private Configuration configure(String pid, Hashtable<String, Object> props) throws IOException {
        Configuration c = cm.getConfiguration(pid, "?");
        c.update(props);
        if (!configurations.contains(c)) {
            configurations.add(c);
        }
        return c;
    }

    private Hashtable<String, Object> kura() {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("brokerUri", broker.uri());
        p.put("accountName", ACCOUNT);
        p.put("clientId", CLIENT);
        p.put("backoffMinMs", 100);
        p.put("backoffMaxMs", 1_000);
        p.put("headend.preference", 20);
        return p;
    }

    private Hashtable<String, Object> gprs() {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("port", dir.resolve("hub").toString());
        p.put("apn", "iot.modhub");
        p.put("pollIntervalMs", 500);
        p.put("commandTimeoutMs", 3000);
        return p;
    }

    private Hashtable<String, Object> mesh(int preference) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("gatewayUri", gateway.meshUri());
        p.put("bindAddress", "127.0.0.1");
        p.put("pskIdentity", IDENTITY);
        p.put("pskSecret", HexFormat.of().formatHex(SECRET));
        p.put("ackTimeoutMs", 500);
        p.put("keepAliveMs", 2_000);
        p.put("pingTimeoutMs", 5_000);
        p.put("reconnectMs", 500);
        p.put("nstart", 4);
        p.put("headend.preference", preference);
        return p;
    }

    /** The connected head-end session of a technology, if any. */
    private boolean connected(String technology) {
        try {
            for (ServiceReference<HeadEndSession> r : context.getServiceReferences(HeadEndSession.class, null)) {
                HeadEndSession s = context.getService(r);
                try {
                    if (s != null && technology.equals(s.technology()) && s.isConnected()) {
                        return true;
                    }
                } finally {
                    context.ungetService(r);
                }
            }
            return false;
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private void startProducing() {
        producing.set(true);
        producer = new Thread(() -> {
            while (producing.get()) {
                int seq = produced.getAndIncrement();
                byte[] body = ("reading " + seq + " of run " + run).getBytes(StandardCharsets.UTF_8);
                outbox.enqueue(new OutboundMessage(id(seq), APP_TOPIC, OutboundMessage.PRIORITY_NORMAL, 1, Instant.now(),
                        body));
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "swap-test-producer");
        producer.start();
    }

    private String id(int seq) {
        return run + "-" + seq;
    }

    private int distinct() {
        int n = 0;
        for (int i = 0; i < produced.get(); i++) {
            if (received.containsKey(id(i))) {
                n++;
            }
        }
        return n;
    }

    private String state() {
        return "(produced " + produced.get() + ", at the head end " + distinct() + ", via the gateway "
                + gateway.published() + ", gprs " + connected("gprs") + ", mesh " + connected("mesh") + ", outbox "
                + outbox.stats() + ")";
    }

    /** Waits until the head end received {@code more} new messages over the mesh gateway. */
    private void flowsOverMesh(String phase) {
        long base = gateway.published();
        await(phase + ": messages flow over the mesh", WAIT, () -> gateway.published() >= base + 30, this::state);
        System.out.println("LiveWanSwapTest: " + phase + " " + state());
    }

    /** Waits until messages flow over the Kura session, the mesh gateway publishing none of them. */
    private void flowsOverGprs(String phase) {
        await(phase + ": the gprs session connected", WAIT, () -> connected("gprs"), this::state);
        // after the swap settles, a window in which the head end gets new messages and the gateway none
        await(phase + ": messages flow over gprs only", WAIT, () -> {
            long g = gateway.published();
            int d = distinct();
            sleep(1_000);
            return gateway.published() == g && distinct() >= d + 30;
        }, this::state);
        System.out.println("LiveWanSwapTest: " + phase + " " + state());
    }

    @Test
    void nothingIsLostWhileTheWanSwapsBetweenGprsAndMesh() throws Exception {
        configure(KURA_PID, kura());
        configure(GPRS_PID, gprs());
        configure(MESH_PID, mesh(10));
        install("gprs-link.jar", GprsLink.LOCATION);
        await("the Kura session over gprs", WAIT, () -> connected("gprs"), this::state);
        startProducing();
        flowsOverGprs("gprs only");

        // mesh installed below the Kura session's preference: traffic stays on gprs
        install("mesh-link.jar", MeshLink.LOCATION);
        await("the mesh session", WAIT, () -> connected("mesh"), this::state);
        flowsOverGprs("mesh installed, preferred less");

        // 1. swap by configured preference: mesh above gprs
        configure(MESH_PID, mesh(30));
        flowsOverMesh("mesh preferred");

        // 2. stop the mesh bundle: back to gprs; start it: mesh again
        bundle(MeshLink.LOCATION).stop();
        flowsOverGprs("mesh bundle stopped");
        bundle(MeshLink.LOCATION).start();
        flowsOverMesh("mesh bundle started");

        // 3. uninstall the active mesh bundle: gprs; install it again: mesh
        bundle(MeshLink.LOCATION).uninstall();
        flowsOverGprs("mesh bundle uninstalled");
        install("mesh-link.jar", MeshLink.LOCATION);
        flowsOverMesh("mesh bundle installed again");

        // 4. back to gprs by preference, then uninstall the active gprs bundle: mesh; install gprs: gprs
        configure(MESH_PID, mesh(5));
        flowsOverGprs("mesh preferred less again");
        bundle(GprsLink.LOCATION).uninstall();
        flowsOverMesh("gprs bundle uninstalled");
        install("gprs-link.jar", GprsLink.LOCATION);
        flowsOverGprs("gprs bundle installed again");

        producing.set(false);
        producer.join(5_000);
        int total = produced.get();
        await("every message at the head end", WAIT, () -> distinct() == total, this::state);
        await("an empty outbox", WAIT, () -> outbox.stats().pending() == 0, this::state);
        List<String> missing = new ArrayList<>();
        int duplicates = 0;
        for (int i = 0; i < total; i++) {
            AtomicInteger n = received.get(id(i));
            if (n == null) {
                missing.add(id(i));
            } else if (n.get() > 1) {
                duplicates++;
            }
        }
        System.out.println("LiveWanSwapTest: " + total + " messages, " + missing.size() + " lost, " + duplicates
                + " delivered more than once (the head end de-duplicates), " + gateway.published()
                + " through the mesh gateway");
        assertEquals(List.of(), missing, "lost messages");
        assertTrue(gateway.published() > 0 && gateway.published() < total, "both paths carried messages");
    }

    static void await(String what, Duration timeout, BooleanSupplier condition, Supplier<String> state) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout + " waiting for " + what + " " + state.get());
            }
            sleep(20);
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
