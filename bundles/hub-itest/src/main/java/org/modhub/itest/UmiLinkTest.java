package org.modhub.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.EventQuery;
import org.modhub.api.event.HubEvent;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.DeviceType;
import org.modhub.api.keys.DeviceKeys;
import org.modhub.api.keys.KeyType;
import org.modhub.api.messaging.Envelope;
import org.modhub.api.messaging.MessageRouter;
import org.modhub.api.messaging.MessageType;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.metering.ReadingQuery;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

/**
 * umi-link in the framework against the emulated metrology module: periodic reads land in hub-core's
 * metering store; supply commands through the router: disconnect and arm are carried out, close is
 * refused with an audit event.
 */
@ExtendWith({ BundleContextExtension.class, ServiceExtension.class })
class UmiLinkTest {
    static final String EK = "000102030405060708090A0B0C0D0E0F";
    static final String AK = "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF";
    static final Eui64 METER = Eui64.parse("00-11-22-33-44-55-66-99");
    static final Eui64 HUB = Eui64.parse("00-00-00-00-00-00-00-01"); // the router's id without configuration
    static final Eui64 SUPPLIER = Eui64.parse("90-B3-D5-1F-30-02-00-00");

    @InjectBundleContext
    BundleContext context;
    @InjectService(timeout = 30_000)
    DeviceKeys deviceKeys;
    @InjectService(timeout = 30_000)
    DeviceLog deviceLog;
    @InjectService(timeout = 30_000)
    ConfigurationAdmin cm;
    @InjectService(timeout = 30_000)
    MeteringStore metering;
    @InjectService(timeout = 30_000)
    MessageRouter router;
    @InjectService(timeout = 30_000)
    EventLog eventLog;

    private final List<Bundle> installed = new ArrayList<>();
    private final List<Configuration> configurations = new ArrayList<>();

    @org.junit.jupiter.api.BeforeEach
    void setUp() {
        LastGaspTest.clearLeftoverInterrupt("UmiLinkTest");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Bundle b : installed) {
            b.uninstall();
        }
        for (Configuration c : configurations) {
            c.delete();
        }
        deviceKeys.remove(METER.toHex(), "itest clean-up");
        deviceLog.remove(METER);
    }

    private void configure(String pid, Map<String, Object> values) throws Exception {
        Configuration c = cm.getConfiguration(pid, "?");
        Dictionary<String, Object> d = new Hashtable<>(values);
        c.update(d);
        configurations.add(c);
    }

    private void install(String jar) throws Exception {
        URL url = context.getBundle().getEntry(jar);
        assertNotNull(url, jar + " embedded");
        try (InputStream in = url.openStream()) {
            Bundle b = context.installBundle("itest:embedded/" + jar, in);
            installed.add(b);
            b.start();
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private int profileSamples() {
        Instant now = Instant.now();
        return metering.profile(new ReadingQuery(METER, Measurands.ACTIVE_ENERGY_IMPORT, now.minus(Duration.ofDays(2)),
                now.plusSeconds(1), 1000)).size();
    }

    private Envelope command(int code) throws Exception {
        Envelope cmd = new Envelope("itest-" + code + "-" + System.nanoTime(), MessageType.COMMAND, SUPPLIER,
                System.currentTimeMillis() * 1000 + (System.nanoTime() % 1000), HUB, Instant.now(), code, new byte[0]);
        return router.dispatch(cmd).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void readsReachTheMeteringStoreAndOnlyArmingReachesTheSupply() throws Exception {
        int port = freePort();
        configure("org.modhub.emulator.umi", Map.of("port", port, ".blockCipherKey", EK, ".authenticationKey", AK));
        configure("org.modhub.umi", Map.of("port", port, "systemTitle", "4D4F444855420001", ".blockCipherKey", EK,
                ".authenticationKey", AK, "meterId", METER.toString(), "pollSeconds", 5));
        Instant started = Instant.now().minusSeconds(1);
        install("emulator-umi.jar");
        install("umi-link.jar");

        Await.until("import register in the metering store", Duration.ofSeconds(60),
                () -> metering.latest(METER, Measurands.ACTIVE_ENERGY_IMPORT).isPresent(), () -> "");
        assertTrue(metering.latest(METER, Measurands.ACTIVE_POWER_EXPORT).isPresent());
        assertTrue(metering.latest(METER, Measurands.ACTIVE_ENERGY_IMPORT.withTariff(2)).isPresent());
        Await.until("a day of half-hourly import in the store", Duration.ofSeconds(60), () -> profileSamples() >= 47,
                () -> "(" + profileSamples() + " samples)");

        // the keys came once through configuration: now in the hub's device keys, gone from the configuration
        Await.until("keys removed from the configuration", Duration.ofSeconds(60), () -> {
            try {
                Dictionary<String, Object> p = cm.getConfiguration("org.modhub.umi", "?").getProperties();
                return p != null && p.get(".blockCipherKey") == null && p.get(".authenticationKey") == null
                        && METER.toHex().equals(p.get("keyId"));
            } catch (java.io.IOException e) {
                return false;
            }
        }, () -> {
            try {
                Dictionary<String, Object> p = cm.getConfiguration("org.modhub.umi", "?").getProperties();
                return p == null ? "(no properties)" : "(property names " + java.util.Collections.list(p.keys())
                        + ", keyId " + p.get("keyId") + ")";
            } catch (java.io.IOException e) {
                return e.toString();
            }
        });
        assertEquals(Set.of(KeyType.DLMS_SYSTEM_TITLE, KeyType.DLMS_BLOCK_CIPHER, KeyType.DLMS_AUTHENTICATION),
                deviceKeys.list().get(METER.toHex()));
        assertTrue(eventLog.query(new EventQuery(started, Instant.now().plusSeconds(1), Set.of("DEVICE_KEYS_STORED"),
                Optional.of(EventKind.AUDIT), 10)).stream().anyMatch(e -> e.detail().contains(METER.toHex())
                        && !e.detail().contains(EK)), "the import is audited, without the keys");
        // the link put its meter in the device log, so meter-reports reports it
        assertEquals(DeviceType.ELECTRICITY_METER, deviceLog.find(METER).orElseThrow().type());
        Instant reconfigured = Instant.now();
        Await.until("a read with the keys from the key store", Duration.ofSeconds(60),
                () -> metering.latest(METER, Measurands.ACTIVE_ENERGY_IMPORT).map(r -> r.instant().isAfter(reconfigured))
                        .orElse(false), () -> "");

        Envelope refused = command(0x0A03);
        assertEquals(MessageType.RESPONSE, refused.type());
        assertTrue(new String(refused.payload(), StandardCharsets.UTF_8).contains("person on site"),
                new String(refused.payload(), StandardCharsets.UTF_8));
        Envelope off = command(0x0A01);
        assertTrue(new String(off.payload(), StandardCharsets.UTF_8).contains("DISCONNECTED"));
        Envelope armed = command(0x0A02);
        assertTrue(new String(armed.payload(), StandardCharsets.UTF_8).contains("READY_FOR_RECONNECTION"));

        List<HubEvent> audit = eventLog.query(new EventQuery(started, Instant.now().plusSeconds(1),
                Set.of("SUPPLY_CLOSE_REFUSED", "SUPPLY_ARMED"), Optional.of(EventKind.AUDIT), 10));
        assertEquals(Set.of("SUPPLY_CLOSE_REFUSED", "SUPPLY_ARMED"),
                Set.copyOf(audit.stream().map(HubEvent::code).toList()));
    }
}
