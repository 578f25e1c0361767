package org.modhub.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Collection;
import java.util.Hashtable;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modhub.api.cloud.CloudRequestHandler;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.EventQuery;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceType;
import org.modhub.api.han.HanNetwork;
import org.modhub.api.keys.DeviceKeys;
import org.modhub.api.keys.KeyType;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.metering.ObisCode;
import org.modhub.api.metering.Reading;
import org.modhub.api.store.StateStore;
import org.modhub.mbus.emulator.internal.EmulatedMeter;
import org.modhub.mbus.emulator.internal.SlaveEmulator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

/**
 * The M-Bus driver in the framework: configured through ConfigurationAdmin, it reads an emulated TCP
 * M-Bus gateway (one plain meter by primary address, one mode-5 meter by secondary address with its
 * key from the hub's device keys), stores readings, refuses a wrong key with an event and goes on; the meter
 * reports carry the readings towards the head end (their durable cursor advances).
 */
@ExtendWith({BundleContextExtension.class, ServiceExtension.class})
class MbusLinkTest {
    static final byte[] KEY = java.util.HexFormat.of().parseHex("00112233445566778899aabbccddeeff");
    static final Eui64 ELEC = Eui64.parse("0442555555550102"); // ABB 55555555 v1 electricity
    static final Eui64 WATER = Eui64.parse("3265666666661707"); // LSE 66666666 v0x17 water

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
    @InjectService(timeout = 30_000)
    StateStore state;
    @InjectService(timeout = 30_000)
    DeviceKeys deviceKeys;

    SlaveEmulator emulator;
    Configuration link;
    Configuration reports;

    @BeforeEach
    void setUp() throws Exception {
        emulator = new SlaveEmulator(0);
        emulator.add(new EmulatedMeter(1, 55555555, "ABB", 1, EmulatedMeter.TYPE_ELECTRICITY, null, 5000, 0));
        emulator.add(new EmulatedMeter(2, 66666666, "LSE", 0x17, EmulatedMeter.TYPE_WATER, KEY, 0, 20000));
        deviceLog.add(DeviceLogEntry.withKeyReference(WATER, DeviceType.WATER_METER, "itest-water"));
    }

    @AfterEach
    void tearDown() throws Exception {
        if (link != null) {
            link.delete();
        }
        if (reports != null) {
            reports.delete();
        }
        emulator.close();
        deviceLog.remove(ELEC);
        deviceLog.remove(WATER);
    }

    /** A Gogo command of a scope (its service is internal to its bundle), called as the shell would. */
    static String command(BundleContext context, String scope, String function, String... args) throws Exception {
        Object[] found = new Object[1];
        Await.until("the " + scope + ":" + function + " command", () -> {
            try {
                ServiceReference<?>[] refs = context.getServiceReferences((String) null,
                        "(&(osgi.command.scope=" + scope + ")(osgi.command.function=" + function + "))");
                found[0] = refs == null ? null : context.getService(refs[0]);
            } catch (Exception e) {
                found[0] = null;
            }
            return found[0] != null;
        });
        for (Method m : found[0].getClass().getMethods()) {
            if (!m.getName().equals(function)) {
                continue;
            }
            if (m.isVarArgs() && args.length >= m.getParameterCount() - 1) {
                int fixed = m.getParameterCount() - 1;
                Object[] call = new Object[m.getParameterCount()];
                System.arraycopy(args, 0, call, 0, fixed);
                call[fixed] = java.util.Arrays.copyOfRange(args, fixed, args.length);
                return String.valueOf(m.invoke(found[0], call));
            }
            if (!m.isVarArgs() && m.getParameterCount() == args.length) {
                return String.valueOf(m.invoke(found[0], (Object[]) args));
            }
        }
        throw new AssertionError("no " + scope + ":" + function + " for " + args.length + " arguments");
    }

    Optional<Reading> latest(Eui64 d, String obis) {
        return metering.latest(d, ObisCode.parse(obis));
    }

    @Test
    void readsTheEmulatedBusAndReportsTheReadings() throws Exception {
        assertTrue(command(context, "mbus", "enroll", ELEC.toHex(), "ESME", "itest-elec").startsWith("enrolled"));
        assertEquals(DeviceType.ELECTRICITY_METER, deviceLog.find(ELEC).orElseThrow().type());
        assertTrue(command(context, "keys", "put", "itest-water", "mbus", "00112233445566778899aabbccddeeff")
                .startsWith("stored"));
        link = cm.getConfiguration("org.modhub.han.mbus", "?");
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("transport", "tcp");
        p.put("host", "127.0.0.1");
        p.put("port", emulator.port());
        p.put("meters", new String[] {"1", WATER.toHex()});
        p.put("pollSeconds", 5);
        link.update(p);

        Await.until("readings of both meters", Duration.ofSeconds(60),
                () -> latest(ELEC, "1.0.1.8.0.255").isPresent() && latest(WATER, "8.0.1.0.0.255").isPresent(),
                () -> "(events " + events.query(EventQuery.latest(5)) + ")");
        assertEquals(3, latest(ELEC, "1.0.1.8.0.255").orElseThrow().scaler());
        assertTrue(latest(WATER, "8.0.1.0.0.255").orElseThrow().raw() > 20000);

        Collection<ServiceReference<HanNetwork>> nets = context.getServiceReferences(HanNetwork.class, "(han.technology=mbus)");
        assertEquals(1, nets.size());
        HanNetwork net = context.getService(nets.iterator().next());
        Await.until("both devices on the network", () -> net.devices().size() == 2);

        // a wrong key: refused with an audit event, the other meter is still read
        deviceKeys.put("itest-water", java.util.Map.of(KeyType.MBUS_AES128,
                java.util.HexFormat.of().parseHex("ffeeddccbbaa99887766554433221100")), "itest");
        long before = latest(ELEC, "1.0.1.8.0.255").orElseThrow().raw();
        Await.until("a MBUS_WRONG_KEY event", Duration.ofSeconds(60),
                () -> !events.query(new EventQuery(java.time.Instant.EPOCH, java.time.Instant.MAX, java.util.Set.of("MBUS_WRONG_KEY"),
                        Optional.empty(), 5)).isEmpty(), () -> "");
        Await.until("the electricity meter still read", Duration.ofSeconds(60),
                () -> latest(ELEC, "1.0.1.8.0.255").orElseThrow().raw() > before, () -> "");
        String list = command(context, "keys", "list");
        assertTrue(list.contains("itest-water [mbus_aes128]"), list);
        assertTrue(!list.contains("ffeedd"), "ids and types only, never keys");
        assertTrue(deviceKeys.key("itest-water", KeyType.MBUS_AES128).isPresent());

        // scheduled reports: the durable cursor of the electricity series advances
        reports = cm.getConfiguration("org.modhub.reports", "?");
        Hashtable<String, Object> r = new Hashtable<>();
        r.put("intervalSeconds", 10);
        r.put("settleSeconds", 0);
        r.put("measurands", new String[] {"1.0.1.8.0.255"});
        r.put("profileMeasurands", new String[0]);
        reports.update(r);
        String cursor = "cursor/r/" + ELEC.toHex() + "/1.0.1.8.0.255";
        Await.until("a report of the electricity readings", Duration.ofSeconds(60),
                () -> state.get("org.modhub.meter-reports", cursor).isPresent(), () -> "");

        // the head-end read of the gas mirror is offered as a cloud application
        assertEquals(1, context.getServiceReferences(CloudRequestHandler.class, "(cloud.app.id=GAS-MIRROR)").size());
        assertTrue(List.of(net.technology()).contains("mbus"));
    }
}
