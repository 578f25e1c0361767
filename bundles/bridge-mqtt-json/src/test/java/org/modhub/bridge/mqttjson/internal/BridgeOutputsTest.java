package org.modhub.bridge.mqttjson.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.modhub.api.bridge.BridgeAccessException;
import org.modhub.api.bridge.BridgeAccessException.Reason;
import org.modhub.api.bridge.BridgeMeter;
import org.modhub.api.bridge.DataObject;
import org.modhub.api.bridge.MeteringBridge;
import org.modhub.api.common.Eui64;
import org.modhub.api.gas.MirrorRead;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.Unit;
import org.modhub.testing.mosquitto.Mosquitto;

/**
 * The example bridge's outputs: JSON over MQTT to a real Mosquitto on loopback, and its HTTP read API,
 * over a MeteringBridge that grants some data objects and refuses the rest as the hub's gateway does.
 */
class BridgeOutputsTest {
    static final Eui64 ELEC = Eui64.parse("00-0D-6F-00-00-00-00-11");
    static final Eui64 GAS = Eui64.parse("00-0D-6F-00-00-00-00-21");
    static final Instant NOW = Instant.parse("2026-11-20T12:00:00Z");

    /** Grants a set of data objects; refuses the rest like the gateway; counts reads against a limit. */
    static final class GrantingBridge implements MeteringBridge {
        Set<DataObject> granted = EnumSet.of(DataObject.CURRENT_REGISTERS, DataObject.HALF_HOURLY_HISTORY, DataObject.GAS_MIRROR);
        int readsLeft = 1000;

        private void admit(DataObject d) throws BridgeAccessException {
            if (readsLeft-- <= 0) {
                throw new BridgeAccessException(Reason.RATE_LIMITED, "bridge test exceeded its read rate of 6 reads per minute; retry in 1500 ms", 1500);
            }
            if (d != null && !granted.contains(d)) {
                throw new BridgeAccessException(Reason.NOT_GRANTED, "bridge test is not granted data object '" + d.configName() + "'");
            }
        }

        @Override
        public String bridgeId() {
            return "test";
        }

        @Override
        public Set<DataObject> granted() {
            return granted;
        }

        @Override
        public Duration historyWindow() {
            return Duration.ofHours(48);
        }

        @Override
        public List<BridgeMeter> meters() throws BridgeAccessException {
            admit(null);
            return List.of(new BridgeMeter(ELEC, false), new BridgeMeter(GAS, true));
        }

        @Override
        public List<Reading> currentRegisters(Eui64 meter) throws BridgeAccessException {
            admit(DataObject.CURRENT_REGISTERS);
            return meter.equals(GAS) ? List.of(new Reading(GAS, Measurands.GAS_VOLUME, NOW, 1234567, -3, Unit.CUBIC_METRE))
                    : List.of(new Reading(ELEC, Measurands.ACTIVE_ENERGY_IMPORT, NOW, 1234567, 0, Unit.WATT_HOUR));
        }

        @Override
        public List<Reading> demand(Eui64 meter) throws BridgeAccessException {
            admit(DataObject.DEMAND);
            return List.of(new Reading(ELEC, Measurands.ACTIVE_POWER_IMPORT, NOW, 1530, 0, Unit.WATT));
        }

        @Override
        public List<Reading> tariffRegisters(Eui64 meter) throws BridgeAccessException {
            admit(DataObject.TARIFF);
            return List.of();
        }

        @Override
        public List<ProfileSample> halfHourly(Eui64 meter, Instant from, Instant to) throws BridgeAccessException {
            admit(DataObject.HALF_HOURLY_HISTORY);
            List<ProfileSample> out = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                out.add(new ProfileSample(meter, Measurands.ACTIVE_ENERGY_IMPORT, NOW.minus(Duration.ofMinutes(30L * (4 - i))),
                        Duration.ofMinutes(30), 250 * i, 0, Unit.WATT_HOUR, Set.of()));
            }
            return out;
        }

        @Override
        public Optional<MirrorRead> gasMirror(Eui64 meter) throws BridgeAccessException {
            admit(DataObject.GAS_MIRROR);
            return Optional.of(new MirrorRead(GAS, NOW.minusSeconds(600), Duration.ofSeconds(600), false,
                    new java.math.BigDecimal("1234.567"), 5200, 41));
        }
    }

    final GrantingBridge bridge = new GrantingBridge();
    final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    BridgeHttpApi api;
    String base;

    @BeforeEach
    void start() throws Exception {
        api = new BridgeHttpApi(bridge, clock);
        api.start(new InetSocketAddress("127.0.0.1", 0));
        base = "http://127.0.0.1:" + api.address().getPort();
    }

    @AfterEach
    void stop() {
        api.stop();
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void mqttPublishesGrantedObjectsAsRetainedJson() throws Exception {
        assumeTrue(Mosquitto.available() || System.getenv("CI") != null, "mosquitto not installed");
        try (Mosquitto broker = new Mosquitto().start()) {
            Map<String, String> received = new ConcurrentHashMap<>();
            MqttClient sub = new MqttClient(broker.uri(), "sub", new MemoryPersistence());
            sub.connect();
            sub.subscribe("home/energy/#", 1, (topic, msg) -> received.put(topic, new String(msg.getPayload(), StandardCharsets.UTF_8)));
            MqttClient pub = new MqttClient(broker.uri(), "bridge", new MemoryPersistence());
            MqttConnectOptions o = new MqttConnectOptions();
            pub.connect(o);
            int n = new MqttPublisher(bridge, "home/energy", clock).publish(pub);
            assertEquals(6, n, "meters + elec registers, half-hourly + gas registers, half-hourly, mirror");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (received.size() < 6 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(new TreeMap<>(Map.of(
                    "home/energy/meters", "{\"meters\":[{\"id\":\"000D6F0000000011\",\"kind\":\"electricity\"},{\"id\":\"000D6F0000000021\",\"kind\":\"gas\"}]}",
                    "home/energy/meter/000D6F0000000011/registers", "{\"meter\":\"000D6F0000000011\",\"readings\":[{\"obis\":\"1.0.1.8.0.255\",\"time\":\"2026-11-20T12:00:00Z\",\"value\":1234567,\"unit\":\"WATT_HOUR\",\"valid\":true}]}",
                    "home/energy/meter/000D6F0000000011/half-hourly", "{\"meter\":\"000D6F0000000011\",\"intervalSeconds\":1800,\"samples\":["
                            + "{\"end\":\"2026-11-20T10:30:00Z\",\"value\":250,\"unit\":\"WATT_HOUR\",\"flags\":[]},"
                            + "{\"end\":\"2026-11-20T11:00:00Z\",\"value\":500,\"unit\":\"WATT_HOUR\",\"flags\":[]},"
                            + "{\"end\":\"2026-11-20T11:30:00Z\",\"value\":750,\"unit\":\"WATT_HOUR\",\"flags\":[]}]}",
                    "home/energy/meter/000D6F0000000021/registers", "{\"meter\":\"000D6F0000000021\",\"readings\":[{\"obis\":\"7.0.3.0.0.255\",\"time\":\"2026-11-20T12:00:00Z\",\"value\":1234.567,\"unit\":\"CUBIC_METRE\",\"valid\":true}]}",
                    "home/energy/meter/000D6F0000000021/half-hourly", received.getOrDefault("home/energy/meter/000D6F0000000021/half-hourly", "missing"),
                    "home/energy/meter/000D6F0000000021/gas-mirror", "{\"meter\":\"000D6F0000000021\",\"capturedAt\":\"2026-11-20T11:50:00Z\",\"ageSeconds\":600,\"stale\":false,\"volumeM3\":1234.567,\"todayEnergyWh\":5200,\"todayCostMinor\":41}")),
                    new TreeMap<>(received));
            assertFalse(received.keySet().stream().anyMatch(t -> t.endsWith("/demand") || t.endsWith("/tariff")),
                    "not granted: not published");
            // retained: a subscriber that comes later gets the last values
            Map<String, String> late = new ConcurrentHashMap<>();
            MqttClient sub2 = new MqttClient(broker.uri(), "late", new MemoryPersistence());
            sub2.connect();
            sub2.subscribe("home/energy/meters", 1, (t, m) -> late.put(t, new String(m.getPayload(), StandardCharsets.UTF_8)));
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (late.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(received.get("home/energy/meters"), late.get("home/energy/meters"));
            for (MqttClient c : List.of(sub, sub2, pub)) {
                c.disconnect();
                c.close();
            }
        }
    }

    @Test
    void httpAnswersGrantedReads() throws Exception {
        HttpResponse<String> r = get("/meters");
        assertEquals(200, r.statusCode());
        assertEquals("{\"meters\":[{\"id\":\"000D6F0000000011\",\"kind\":\"electricity\"},{\"id\":\"000D6F0000000021\",\"kind\":\"gas\"}]}", r.body());
        r = get("/meters/000D6F0000000021/gas-mirror");
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("\"ageSeconds\":600"), r.body());
        r = get("/meters/00-0D-6F-00-00-00-00-11/half-hourly?from=2026-11-20T10:00:00Z&to=2026-11-20T12:00:00Z");
        assertEquals(200, r.statusCode());
        assertTrue(r.body().startsWith("{\"meter\":\"000D6F0000000011\",\"intervalSeconds\":1800,\"samples\":[{\"end\":\"2026-11-20T10:30:00Z\""), r.body());
    }

    @Test
    void httpRefusalsAreClearJsonErrors() throws Exception {
        HttpResponse<String> r = get("/meters/000D6F0000000011/demand");
        assertEquals(403, r.statusCode());
        assertEquals("{\"status\":403,\"reason\":\"NOT_GRANTED\",\"error\":\"bridge test is not granted data object 'demand'\"}", r.body());
        r = get("/meters/not-an-id/registers");
        assertEquals(400, r.statusCode());
        assertTrue(r.body().startsWith("{\"status\":400,\"reason\":\"BAD_REQUEST\""), r.body());
        r = get("/meters/000D6F0000000011/half-hourly?from=yesterday");
        assertEquals(400, r.statusCode());
        assertEquals(404, get("/meters/000D6F0000000011/price").statusCode());
        assertEquals(404, get("/").statusCode());
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "/meters/000D6F0000000011/registers"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"raw\":0}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode(), "read-only");
        HttpResponse<String> big = http.send(HttpRequest.newBuilder(URI.create(base + "/meters"))
                .method("GET", HttpRequest.BodyPublishers.ofByteArray(new byte[4096])).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(413, big.statusCode());
        bridge.readsLeft = 0;
        r = get("/meters");
        assertEquals(429, r.statusCode());
        assertEquals("2", r.headers().firstValue("Retry-After").orElse(""));
        assertTrue(r.body().contains("\"reason\":\"RATE_LIMITED\""), r.body());
        assertFalse(r.body().contains("Exception"));
    }
}
