package org.modhub.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Hashtable;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.EventQuery;
import org.modhub.api.gas.GasProxy;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.DisplayPrice;
import org.modhub.api.han.HanDisplays;
import org.modhub.api.han.HanNetwork;
import org.modhub.api.han.HanNetworkState;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.MeteringStore;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

/**
 * The ZigBee coordinator bundle in the framework with the real hub-core and gas mirror: with no
 * dongle it is idle and healthy; when the network emulator bundle registers its transport, the
 * coordinator forms the network, the emulator's installer commissions its devices through the device
 * log, electricity readings reach the metering store, gas pushes reach the gas mirror, a payload
 * goes through the tunnel and a price reaches the display; when the emulator goes, the network's
 * service goes with it.
 */
@ExtendWith({ BundleContextExtension.class, ServiceExtension.class })
class ZigBeeCoordinatorTest {
    static final Eui64 ESME = Eui64.parse("00-0D-6F-00-00-E5-00-01");
    static final Eui64 GSME = Eui64.parse("00-0D-6F-00-00-65-00-02");
    static final Eui64 IHD = Eui64.parse("00-0D-6F-00-00-14-00-03");
    static final Duration LONG = Duration.ofSeconds(90);

    @InjectBundleContext
    BundleContext context;
    @InjectService(timeout = 30_000)
    ConfigurationAdmin cm;
    @InjectService(timeout = 30_000)
    DeviceLog deviceLog;
    @InjectService(timeout = 30_000)
    MeteringStore metering;
    @InjectService(timeout = 30_000)
    GasProxy gasProxy;
    @InjectService(timeout = 30_000)
    EventLog eventLog;

    private Bundle emulator;

    @AfterEach
    void tearDown() throws Exception {
        if (emulator != null) {
            emulator.uninstall();
        }
        Configuration c = cm.getConfiguration("org.modhub.zigbee.emulator", "?");
        c.delete();
    }

    private <T> T service(Class<T> type) {
        Collection<ServiceReference<T>> refs;
        try {
            refs = context.getServiceReferences(type, "(han.technology=zigbee-se)");
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
        return refs.isEmpty() ? null : context.getService(refs.iterator().next());
    }

    @Test
    void coordinatorRunsTheEmulatedNetwork() throws Exception {
        LastGaspTest.clearLeftoverInterrupt("ZigBeeCoordinatorTest");
        Await.until("no ZigBee network without a dongle", Duration.ofSeconds(5), () -> service(HanNetwork.class) == null,
                () -> "");
        Instant started = Instant.now().minusSeconds(1);

        Configuration c = cm.getConfiguration("org.modhub.zigbee.emulator", "?");
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("gasWakeSeconds", 2);
        props.put("electricityReportSeconds", 1);
        c.update(props);
        URL url = context.getBundle().getEntry("zigbee-network-emulator.jar");
        try (InputStream in = url.openStream()) {
            emulator = context.installBundle("itest:embedded/zigbee-network-emulator.jar", in);
        }
        emulator.start();

        Await.until("ZigBee network UP", LONG, () -> {
            HanNetwork n = service(HanNetwork.class);
            return n != null && n.state() == HanNetworkState.UP;
        }, () -> "");
        HanNetwork han = service(HanNetwork.class);
        Await.until("three devices joined", LONG, () -> han.devices().size() == 3, () -> han.devices().toString());
        assertTrue(deviceLog.contains(ESME) && deviceLog.contains(GSME) && deviceLog.contains(IHD));
        assertTrue(eventLog.query(new EventQuery(started, Instant.now().plusSeconds(60), Set.of("DEVICE_JOINED"),
                Optional.empty(), 100)).size() >= 3);

        Await.until("electricity reading in the metering store", LONG,
                () -> metering.latest(ESME, Measurands.ACTIVE_ENERGY_IMPORT)
                        .filter(r -> !r.instant().isBefore(started)).isPresent(), () -> "");
        Await.until("gas push in the mirror", LONG,
                () -> gasProxy.read(GSME).filter(r -> !r.capturedAt().isBefore(started)).isPresent(), () -> "");

        byte[] payload = {0x11, 0x22, 0x33, 0x44};
        Instant acked = han.send(ESME, payload, Duration.ofMinutes(1)).toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertTrue(!acked.isBefore(started));
        // longer than one APS frame: the library fragments it, the emulated radio reassembles it
        byte[] large = new byte[400];
        new java.util.Random(400).nextBytes(large);
        han.send(ESME, large, Duration.ofMinutes(1)).toCompletableFuture().get(60, TimeUnit.SECONDS);
        // the network serves the gas mirror's gap recovery
        assertTrue(service(org.modhub.api.gas.GasMeterRecovery.class) != null, "GasMeterRecovery registered");
        // for the sleepy gas meter the payload waits for its next wake-up (every 2 s here)
        han.send(GSME, payload, Duration.ofMinutes(1)).toCompletableFuture().get(60, TimeUnit.SECONDS);

        HanDisplays displays = service(HanDisplays.class);
        int sent = displays.publishPrice(new DisplayPrice(1, "Standard", 5, 826, 1, 2451, Instant.now(),
                Duration.ofDays(1))).toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertEquals(1, sent);
        assertEquals(1, displays.displayMessage(9, "hello", Duration.ofMinutes(5)).toCompletableFuture()
                .get(60, TimeUnit.SECONDS));

        emulator.uninstall();
        emulator = null;
        Await.until("network service gone with the dongle", LONG, () -> service(HanNetwork.class) == null, () -> "");
    }
}
