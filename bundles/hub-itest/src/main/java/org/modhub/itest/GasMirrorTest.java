package org.modhub.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modhub.api.common.Eui64;
import org.modhub.api.gas.GasProxy;
import org.modhub.api.gas.GasPush;
import org.modhub.api.gas.LogEntry;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceType;
import org.modhub.api.metering.ProfileSample;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

/** The gas mirror keeps its data in hub-core: an update of the gas-mirror bundle loses nothing. */
@ExtendWith({BundleContextExtension.class, ServiceExtension.class})
class GasMirrorTest {
    static final Eui64 GAS = Eui64.parse("00-0D-6F-00-00-00-47-01");

    @InjectBundleContext
    BundleContext context;
    @InjectService(timeout = 30_000)
    DeviceLog deviceLog;
    @InjectService(timeout = 30_000)
    GasProxy first;

    private GasProxy awaitProxy() {
        GasProxy[] found = new GasProxy[1];
        Await.until("a GasProxy service", () -> {
            ServiceReference<GasProxy> ref = context.getServiceReference(GasProxy.class);
            found[0] = ref == null ? null : context.getService(ref);
            return found[0] != null;
        });
        return found[0];
    }

    @Test
    void mirrorSurvivesAnUpdateOfItsBundle() throws Exception {
        deviceLog.add(DeviceLogEntry.withKeyReference(GAS, DeviceType.GAS_METER, "gsme-1"));
        Instant start = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(3));
        for (int n = 0; n < 4; n++) {
            first.accept(new GasPush(GAS, start.plus(Duration.ofMinutes(30L * n)).plusSeconds(5), 1_000 + 200L * n, -3, 0, 0));
        }
        first.log(GAS, new LogEntry(LogEntry.Kind.TOP_UP, start, BigDecimal.valueOf(2_000), "UTRN-1"));
        assertEquals(3, first.halfHourly(GAS, start, start.plus(Duration.ofHours(3))).size());

        Bundle mirror = null;
        for (Bundle b : context.getBundles()) {
            if ("org.modhub.gas-mirror".equals(b.getSymbolicName())) {
                mirror = b;
            }
        }
        assertNotNull(mirror);
        mirror.update(); // the same jar again: a new bundle revision, a new class loader, no data of its own
        java.util.concurrent.CountDownLatch refreshed = new java.util.concurrent.CountDownLatch(1);
        context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(List.of(mirror), e -> {
            if (e.getType() == org.osgi.framework.FrameworkEvent.PACKAGES_REFRESHED) {
                refreshed.countDown();
            }
        });
        org.junit.jupiter.api.Assertions.assertTrue(refreshed.await(60, java.util.concurrent.TimeUnit.SECONDS),
                "refresh did not finish");
        Await.until("gas-mirror active again", () -> mirrorActive());

        GasProxy second = awaitProxy();
        assertEquals(new BigDecimal("1.600"), second.read(GAS).orElseThrow().volumeM3());
        assertEquals(1, second.log(GAS, LogEntry.Kind.TOP_UP).size());
        // derivation continues from the stored boundary
        second.accept(new GasPush(GAS, start.plus(Duration.ofMinutes(120)).plusSeconds(5), 1_900, -3, 0, 0));
        List<ProfileSample> profile = second.halfHourly(GAS, start, start.plus(Duration.ofHours(3)));
        assertEquals(4, profile.size());
        assertEquals(List.of(200L, 200L, 200L, 300L), profile.stream().map(ProfileSample::raw).toList());
        deviceLog.remove(GAS);
    }

    private boolean mirrorActive() {
        for (Bundle b : context.getBundles()) {
            if ("org.modhub.gas-mirror".equals(b.getSymbolicName())) {
                return b.getState() == Bundle.ACTIVE;
            }
        }
        return false;
    }
}
