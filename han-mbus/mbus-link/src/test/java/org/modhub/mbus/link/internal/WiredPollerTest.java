package org.modhub.mbus.link.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.modhub.api.common.Eui64;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceType;
import org.modhub.api.keys.DeviceKeys;
import org.modhub.api.keys.KeyType;
import org.modhub.api.metering.ObisCode;
import org.modhub.api.metering.Reading;
import org.modhub.mbus.emulator.internal.EmulatedMeter;
import org.modhub.mbus.emulator.internal.SlaveEmulator;
import org.modhub.testing.memory.MemoryDeviceKeys;
import org.modhub.testing.memory.MemoryEventLog;
import org.modhub.testing.memory.MemoryMeteringStore;
import org.modhub.testing.memory.MemoryStateStore;

/** The real driver (jMBus over the hub's TCP transport) against the TCP M-Bus slave emulator. */
class WiredPollerTest {
    static final byte[] KEY = java.util.HexFormat.of().parseHex("0f0e0d0c0b0a09080706050403020100");
    static final Eui64 ELEC = Eui64.parse("0442123456780102"); // ABB 12345678 v1 electricity
    static final Eui64 WATER = Eui64.parse("3265876543211707"); // LSE 87654321 v0x17 water

    SlaveEmulator emulator;
    EmulatedMeter elec;
    EmulatedMeter water;
    org.modhub.testing.memory.MemoryDeviceLog devices = new org.modhub.testing.memory.MemoryDeviceLog();
    MemoryMeteringStore metering = new MemoryMeteringStore();
    MemoryEventLog events = new MemoryEventLog();
    MemoryStateStore state = new MemoryStateStore();
    MemoryDeviceKeys keys = new MemoryDeviceKeys();
    DeviceKeys present = keys;
    MeterSink sink;

    @BeforeEach
    void setUp() throws Exception {
        emulator = new SlaveEmulator(0);
        elec = new EmulatedMeter(1, 12345678, "ABB", 1, EmulatedMeter.TYPE_ELECTRICITY, null, 1000, 0);
        water = new EmulatedMeter(2, 87654321, "LSE", 0x17, EmulatedMeter.TYPE_WATER, KEY, 0, 14004);
        emulator.add(elec);
        emulator.add(water);
        keys.put("water-1", Map.of(KeyType.MBUS_AES128, KEY), "test");
        devices.add(DeviceLogEntry.withKeyReference(ELEC, DeviceType.ELECTRICITY_METER, "none"));
        devices.add(DeviceLogEntry.withKeyReference(WATER, DeviceType.WATER_METER, "water-1"));
        sink = new MeterSink("mbus", devices, metering, state, () -> events, () -> present);
    }

    @AfterEach
    void tearDown() {
        emulator.close();
    }

    WiredPoller poller(String... meters) {
        return new WiredPoller(() -> CapturingTransport.tcp("127.0.0.1", emulator.port(), 3000),
                java.util.Arrays.stream(meters).map(WiredPoller.Address::parse).toList(), sink,
                Clock.fixed(Instant.parse("2026-11-22T06:00:00Z"), ZoneOffset.UTC));
    }

    Reading latest(Eui64 d, String obis) {
        return metering.latest(d, ObisCode.parse(obis)).orElseThrow(() -> new AssertionError("no " + obis + " of " + d + ": " + metering.readings));
    }

    @Test
    void readsByPrimaryAndBySecondaryAddressWithMode5() {
        try (WiredPoller p = poller("1", WATER.toHex())) {
            WiredPoller.Result r = p.pollOnce();
            assertEquals(new WiredPoller.Result(2, 0, 0, true), r, events.events.toString());
            assertEquals(1001, latest(ELEC, "1.0.1.8.0.255").raw()); // energy kWh, advanced by one read
            assertEquals(3, latest(ELEC, "1.0.1.8.0.255").scaler());
            assertEquals(1001 * 2 / 3, latest(ELEC, "1.0.1.8.1.255").raw()); // tariff 1
            assertEquals(1201, latest(ELEC, "1.0.1.7.0.255").raw()); // power W
            assertEquals(14011, latest(WATER, "8.0.1.0.0.255").raw()); // decrypted with the stored key
            assertEquals(-3, latest(WATER, "8.0.1.0.0.255").scaler());
            assertEquals(14011 / 2, latest(WATER, "8.0.1.0.0.1").raw()); // storage number 1
            assertEquals(p.addressOf(WATER).orElseThrow().secondary().orElseThrow(), WATER);
            p.pollOnce();
            assertEquals(1002, latest(ELEC, "1.0.1.8.0.255").raw());
            assertEquals(List.of(ELEC, WATER).size(), sink.devices().size());
        }
    }

    @Test
    void badInputIsRefusedWithAnEventAndTheLinkGoesOn() throws Exception {
        try (WiredPoller p = poller("1", "2")) {
            elec.fault(EmulatedMeter.Fault.BAD_CHECKSUM);
            WiredPoller.Result r = p.pollOnce();
            assertEquals(1, r.read());
            assertEquals(1, events.count("MBUS_BAD_CHECKSUM"), events.events.toString());

            elec.fault(EmulatedMeter.Fault.BAD_LENGTH);
            p.pollOnce();
            assertEquals(1, events.count("MBUS_BAD_LENGTH"), events.events.toString());

            elec.fault(EmulatedMeter.Fault.UNKNOWN_VIF);
            r = p.pollOnce();
            assertEquals(2, r.read());
            assertEquals(1, events.count("MBUS_UNKNOWN_VIF"));
            assertTrue(metering.latest(ELEC, ObisCode.parse("1.0.1.8.0.255")).isPresent(), "the known records are kept");

            elec.fault(EmulatedMeter.Fault.SILENT);
            r = p.pollOnce();
            assertEquals(1, r.silent());
            assertTrue(events.count("MBUS_NO_RESPONSE") >= 1);

            elec.fault(EmulatedMeter.Fault.NONE);
            keys.put("water-1", Map.of(KeyType.MBUS_AES128, new byte[16]), "test"); // the wrong key
            r = p.pollOnce();
            assertEquals(1, r.read());
            assertEquals(1, events.count("MBUS_WRONG_KEY"));
            long waterReads = metering.readings.stream().filter(x -> x.device().equals(WATER)).count();
            keys.put("water-1", Map.of(KeyType.MBUS_AES128, KEY), "test");
            r = p.pollOnce();
            assertEquals(2, r.read(), events.events.toString());
            assertTrue(metering.readings.stream().filter(x -> x.device().equals(WATER)).count() > waterReads);
        }
    }

    @Test
    void writesApplicationDataToAMeterReadBefore() throws Exception {
        try (WiredPoller p = poller("1", WATER.toHex())) {
            assertThrows(java.io.IOException.class, () -> p.write(ELEC, new byte[] {0x01, 0x02}), "not read yet");
            p.pollOnce();
            long before = emulator.requests();
            p.write(ELEC, new byte[] {0x01, 0x02}); // SND_UD by primary address, acknowledged with E5
            p.write(WATER, new byte[] {0x03}); // selected by secondary address first
            assertTrue(emulator.requests() > before);
        }
    }

    @Test
    void aDeviceNotInTheDeviceLogIsRefused() {
        devices.remove(ELEC);
        try (WiredPoller p = poller("1")) {
            p.pollOnce();
            assertEquals(1, events.count("MBUS_UNKNOWN_DEVICE"));
            assertTrue(metering.readings.isEmpty());
        }
    }

    @Test
    void aGatewayThatGoesAwayIsReconnected() throws Exception {
        try (WiredPoller p = poller("1")) {
            assertEquals(1, p.pollOnce().read());
            emulator.dropConnection();
            p.pollOnce(); // may see the dropped connection
            WiredPoller.Result r = p.pollOnce();
            assertEquals(1, r.read(), events.events.toString());
        }
    }

    @Test
    void withoutTheKeyServiceOrWithItLockedTheEncryptedMeterIsRefusedAndTheOtherRead() throws Exception {
        present = null; // the device-key service went away
        try (WiredPoller p = poller("1", "2")) {
            WiredPoller.Result r = p.pollOnce();
            assertEquals(1, r.read(), events.events.toString());
            assertTrue(events.count("MBUS_KEYS_UNAVAILABLE") >= 1, events.events.toString());
            present = keys;
            keys.refuse = "device keys do not open: wrong secret";
            p.pollOnce();
            assertTrue(events.count("MBUS_KEY_STORE_REFUSED") >= 1, events.events.toString());
            keys.refuse = null;
            assertEquals(2, p.pollOnce().read(), events.events.toString());
        }
    }

    static List<Byte> toList(byte[] b) {
        List<Byte> l = new java.util.ArrayList<>();
        for (byte x : b) {
            l.add(x);
        }
        return l;
    }
}
