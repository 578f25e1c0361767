package org.modhub.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modhub.api.event.EventLog;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.health.HubHealth;
import org.modhub.api.messaging.MessageRouter;
import org.modhub.api.messaging.Outbox;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.store.StateStore;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

/** The assembled runtime: every bundle resolved and started, hub-core's services registered. */
@ExtendWith({ BundleContextExtension.class, ServiceExtension.class })
class FrameworkTest {
    @InjectBundleContext
    BundleContext context;

    @Test
    void everyBundleIsActiveOrAResolvedFragment() {
        List<String> bad = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            BundleRevision rev = b.adapt(BundleRevision.class);
            boolean fragment = rev != null && (rev.getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
            boolean ok = b.getState() == Bundle.ACTIVE || (fragment && b.getState() == Bundle.RESOLVED);
            if (!ok) {
                bad.add(b.getSymbolicName() + " " + b.getVersion() + " state=" + state(b.getState()));
            }
        }
        assertTrue(bad.isEmpty(), "bundles not active: " + bad);
    }

    @Test
    void hubCoreIsPresentAndTheEmulatorIsNotARunBundle() {
        boolean core = false;
        for (Bundle b : context.getBundles()) {
            core |= "org.modhub.hub-core".equals(b.getSymbolicName());
            // the tests install the emulator themselves and uninstall it afterwards
            assertFalse(Emulator.BSN.equals(b.getSymbolicName()) && !Emulator.LOCATION.equals(b.getLocation()),
                    "the emulator must not be a run bundle: " + b.getLocation());
        }
        assertTrue(core, "hub-core is not installed");
        assertTrue(context.getBundle().getEntry(Emulator.EMBEDDED) != null, "emulator jar not embedded");
    }

    @Test
    void hubCoreRegistersItsServices(@InjectService(timeout = 30_000) Outbox outbox,
            @InjectService(timeout = 30_000) MessageRouter router, @InjectService(timeout = 30_000) EventLog eventLog,
            @InjectService(timeout = 30_000) MeteringStore meteringStore,
            @InjectService(timeout = 30_000) DeviceLog deviceLog, @InjectService(timeout = 30_000) StateStore stateStore,
            @InjectService(timeout = 30_000) HubHealth health) {
        assertEquals(0, outbox.stats().purged(), "nothing purged in a fresh outbox");
    }

    private static String state(int s) {
        return switch (s) {
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.ACTIVE -> "ACTIVE";
            case Bundle.UNINSTALLED -> "UNINSTALLED";
            default -> Integer.toString(s);
        };
    }
}
