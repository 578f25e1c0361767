package org.modhub.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.InputStream;
import java.net.URL;
import java.time.Instant;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modhub.api.bridge.BridgeAccessException;
import org.modhub.api.bridge.BridgeAccessException.Reason;
import org.modhub.api.bridge.DataObject;
import org.modhub.api.bridge.MeteringBridge;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.EventQuery;
import org.modhub.api.event.HubEvent;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceType;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.Unit;
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
 * A real bridge bundle (the example bridge, embedded here) in the running hub: it sees its
 * MeteringBridge view and nothing that could write or send; reads follow the consent in
 * ConfigAdmin, and over-reads and over-rate reads are refused with an audit event.
 */
@ExtendWith({BundleContextExtension.class, ServiceExtension.class})
class BridgeTest {
    static final String BSN = "org.modhub.bridge-mqtt-json";
    static final Eui64 METER = Eui64.parse("00-0D-6F-00-00-00-4B-01");
    static final Eui64 OTHER = Eui64.parse("00-0D-6F-00-00-00-4B-02");

    @InjectBundleContext
    BundleContext context;
    @InjectService(timeout = 30_000)
    ConfigurationAdmin cm;
    @InjectService(timeout = 30_000)
    DeviceLog deviceLog;
    @InjectService(timeout = 30_000)
    MeteringStore metering;
    @InjectService(timeout = 30_000)
    EventLog events;

    private Bundle bridge;
    private Configuration consent;

    @AfterEach
    void cleanUp() throws Exception {
        if (consent != null) {
            consent.delete();
        }
        if (bridge != null) {
            bridge.uninstall();
        }
    }

    private Bundle installBridge() throws Exception {
        URL url = context.getBundle().getEntry("bridge-mqtt-json.jar");
        assertNotNull(url, "bridge-mqtt-json.jar is not embedded in the test bundle");
        try (InputStream in = url.openStream()) {
            bridge = context.installBundle("itest:embedded/bridge-mqtt-json.jar", in);
        }
        bridge.start();
        return bridge;
    }

    private List<HubEvent> eventsSince(Instant since, String code) {
        return events.query(new EventQuery(since, Instant.MAX, Set.of(code), Optional.of(EventKind.AUDIT), 50)).stream()
                .filter(e -> e.detail().contains(BSN)).toList();
    }

    private void awaitEvent(Instant since, String code) {
        Await.until(code + " for " + BSN, () -> !eventsSince(since, code).isEmpty());
    }

    @Test
    void shellCommandsRecordAndWithdrawConsent() throws Exception {
        ServiceReference<?>[] refs = context.getAllServiceReferences(null, "(osgi.command.scope=bridge)");
        assertNotNull(refs, "bridge:* shell commands");
        Object commands = context.getService(refs[0]);
        Class<?> c = commands.getClass();
        String granted = (String) c.getMethod("grant", String.class, String.class, int.class, int.class)
                .invoke(commands, "org.example.shell-bridge", "demand,tariff", 30, 12);
        assertEquals("granted org.example.shell-bridge: demand,tariff (30 reads/min, history 12 h)", granted);
        @SuppressWarnings("unchecked")
        List<String> listed = (List<String>) c.getMethod("consents").invoke(commands);
        assertTrue(listed.contains("org.example.shell-bridge: demand,tariff (30 reads/min, history 12 h)"), listed.toString());
        Configuration[] stored = cm.listConfigurations("(bridge=org.example.shell-bridge)");
        assertEquals(1, stored.length);
        assertEquals("org.modhub.bridge.consent", stored[0].getFactoryPid());
        // a bad value is refused with the same message as the configuration would be
        java.lang.reflect.InvocationTargetException bad = assertThrows(java.lang.reflect.InvocationTargetException.class,
                () -> c.getMethod("grant", String.class, String.class, int.class, int.class)
                        .invoke(commands, "org.example.shell-bridge", "price", 30, 12));
        assertTrue(bad.getCause().getMessage().startsWith("configuration org.modhub.bridge.consent: field 'dataObjects': 'price'"),
                bad.getCause().getMessage());
        assertEquals("withdrew consent of org.example.shell-bridge", c.getMethod("withdraw", String.class)
                .invoke(commands, "org.example.shell-bridge"));
        assertNull(cm.listConfigurations("(bridge=org.example.shell-bridge)"));
        context.ungetService(refs[0]);
    }

    @Test
    void bridgeSeesOnlyItsViewAndReadsWhatItIsGranted() throws Exception {
        Instant start = Instant.now().minusSeconds(1);
        deviceLog.add(new DeviceLogEntry(METER, DeviceType.ELECTRICITY_METER, null, null, Instant.now()));
        deviceLog.add(new DeviceLogEntry(OTHER, DeviceType.ELECTRICITY_METER, null, null, Instant.now()));
        metering.record(List.of(new Reading(METER, Measurands.ACTIVE_ENERGY_IMPORT, Instant.now(), 4242, 0, Unit.WATT_HOUR),
                new Reading(METER, Measurands.ACTIVE_POWER_IMPORT, Instant.now(), 999, 0, Unit.WATT)));
        BundleContext bc = installBridge().getBundleContext();

        // nothing that writes hub data or sends to the HAN or head end is visible to a bridge
        for (String hidden : List.of("org.modhub.api.messaging.MessageRouter", "org.modhub.api.messaging.Outbox",
                "org.modhub.api.metering.MeteringStore", "org.modhub.api.han.DeviceLog", "org.modhub.api.event.EventLog",
                "org.modhub.api.store.StateStore", "org.modhub.api.wan.HeadEndSession", "org.modhub.api.gas.GasProxy",
                "org.osgi.service.component.runtime.ServiceComponentRuntime")) {
            assertNull(bc.getServiceReference(hidden), hidden + " visible to a bridge");
        }
        ServiceReference<?>[] all = bc.getAllServiceReferences(null, null);
        for (ServiceReference<?> r : all == null ? new ServiceReference<?>[0] : all) {
            for (String c : (String[]) r.getProperty("objectClass")) {
                assertTrue(!c.startsWith("org.modhub.api.") || c.startsWith("org.modhub.api.bridge."), c + " visible to a bridge");
            }
        }
        awaitEvent(start, "BRIDGE_WRITE_REFUSED");
        assertNotNull(context.getServiceReference(MeteringStore.class), "the test bundle (not a bridge) still sees it");

        MeteringBridge view = bc.getService(bc.getServiceReference(MeteringBridge.class));
        assertEquals(BSN, view.bridgeId());
        BridgeAccessException e = assertThrows(BridgeAccessException.class, view::meters);
        assertEquals(Reason.NOT_A_BRIDGE, e.reason(), "no consent yet");

        // the occupier grants current registers of one meter, 5 reads a minute
        consent = cm.createFactoryConfiguration("org.modhub.bridge.consent", "?");
        Dictionary<String, Object> p = new Hashtable<>();
        p.put("bridge", BSN);
        p.put("dataObjects", new String[] {"current-registers"});
        p.put("meters", new String[] {METER.toString()});
        p.put("readsPerMinute", 5);
        p.put("historyHours", 24);
        consent.update(p);
        Await.until("the consent to apply", () -> view.granted().equals(Set.of(DataObject.CURRENT_REGISTERS)));

        List<Reading> regs = view.currentRegisters(METER); // read 1
        assertEquals(4242, regs.get(0).raw());
        assertThrows(UnsupportedOperationException.class, () -> regs.add(regs.get(0)), "read-only copies");
        e = assertThrows(BridgeAccessException.class, () -> view.demand(METER)); // read 2
        assertEquals(Reason.NOT_GRANTED, e.reason());
        assertEquals("bridge " + BSN + " is not granted data object 'demand' (granted: [current-registers])", e.getMessage());
        e = assertThrows(BridgeAccessException.class, () -> view.currentRegisters(OTHER)); // read 3
        assertEquals(Reason.NOT_GRANTED, e.reason());
        awaitEvent(start, "BRIDGE_READ_REFUSED");

        view.currentRegisters(METER); // read 4
        view.currentRegisters(METER); // read 5
        e = assertThrows(BridgeAccessException.class, () -> view.currentRegisters(METER));
        assertEquals(Reason.RATE_LIMITED, e.reason());
        assertTrue(e.retryAfterMillis() > 0 && e.retryAfterMillis() <= 12_000, "retry after " + e.retryAfterMillis());
        awaitEvent(start, "BRIDGE_RATE_LIMITED");
        assertTrue(eventsSince(start, "BRIDGE_RATE_LIMITED").get(0).detail().contains("read rate 5/min exceeded"));

        // the same view object in a bundle that is not a bridge reads nothing
        MeteringBridge mine = context.getService(context.getServiceReference(MeteringBridge.class));
        assertEquals(Reason.NOT_A_BRIDGE, assertThrows(BridgeAccessException.class, () -> mine.currentRegisters(METER)).reason());

        // withdrawing consent applies at once
        consent.delete();
        consent = null;
        Await.until("consent withdrawn", () -> view.granted().isEmpty());
        try {
            view.currentRegisters(METER);
            fail("read after consent was withdrawn");
        } catch (BridgeAccessException expected) {
            assertEquals(Reason.NOT_A_BRIDGE, expected.reason());
        }
    }
}
