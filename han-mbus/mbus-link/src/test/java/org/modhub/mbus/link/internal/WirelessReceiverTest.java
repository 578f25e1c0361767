package org.modhub.mbus.link.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.modhub.api.common.Eui64;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceType;
import org.modhub.api.keys.KeyType;
import org.modhub.api.metering.ObisCode;
import org.modhub.testing.memory.MemoryDeviceKeys;
import org.modhub.testing.memory.MemoryEventLog;
import org.modhub.testing.memory.MemoryMeteringStore;
import org.modhub.testing.memory.MemoryStateStore;

/** Wireless telegrams through the receiver into the metering store (vectors: see TelegramVectorsTest). */
class WirelessReceiverTest {
    static final Eui64 GAS = Eui64.parse("1593123456783303");
    static final Eui64 WATER = Eui64.parse("3265133463761707");

    org.modhub.testing.memory.MemoryDeviceLog devices = new org.modhub.testing.memory.MemoryDeviceLog();
    MemoryMeteringStore metering = new MemoryMeteringStore();
    MemoryEventLog events = new MemoryEventLog();
    MemoryStateStore state = new MemoryStateStore();

    WirelessReceiver receiver() throws Exception {
        MemoryDeviceKeys mk = new MemoryDeviceKeys();
        mk.put("gas-7", java.util.Map.of(KeyType.MBUS_AES128, TelegramVectorsTest.hex("000102030405060708090A0B0C0D0E0F")), "test");
        MeterSink sink = new MeterSink("wmbus", devices, metering, state, () -> events, () -> mk);
        return new WirelessReceiver(sink, false, Clock.fixed(Instant.parse("2026-11-22T06:00:00Z"), ZoneOffset.UTC));
    }

    @Test
    void mode7TelegramIsStoredOnceAndItsReplayRefused() throws Exception {
        devices.add(DeviceLogEntry.withKeyReference(GAS, DeviceType.GAS_METER, "gas-7"));
        WirelessReceiver r = receiver();
        assertEquals(1, r.accept(TelegramVectorsTest.hex(TelegramVectorsTest.OMS_MODE7)));
        assertEquals(2850427, metering.latest(GAS, ObisCode.parse("7.0.3.0.0.255")).orElseThrow().raw());
        assertEquals(0, r.accept(TelegramVectorsTest.hex(TelegramVectorsTest.OMS_MODE7)));
        assertEquals(1, events.count("MBUS_REPLAYED"));
        assertEquals(1, metering.readings.size());
        // the counter is durable: a new receiver (restart) refuses the replay too
        assertEquals(0, receiver().accept(TelegramVectorsTest.hex(TelegramVectorsTest.OMS_MODE7)));
        assertEquals(2, events.count("MBUS_REPLAYED"));
    }

    @Test
    void unknownDevicesAndBadTelegramsAreRefusedWithEvents() throws Exception {
        WirelessReceiver r = receiver();
        assertEquals(0, r.accept(TelegramVectorsTest.hex(TelegramVectorsTest.S1)));
        assertEquals(1, events.count("MBUS_UNKNOWN_DEVICE"));
        devices.add(DeviceLogEntry.withKeyReference(WATER, DeviceType.WATER_METER, "none"));
        // a transceiver's trailing RSSI octet is ignored
        byte[] withRssi = TelegramVectorsTest.hex(TelegramVectorsTest.S1 + "C4");
        assertEquals(3, r.accept(withRssi)); // total, due-date volume (storage 1), flow
        byte[] shortened = TelegramVectorsTest.hex(TelegramVectorsTest.S1.substring(0, 40));
        assertEquals(-1, r.accept(shortened));
        assertEquals(1, events.count("MBUS_BAD_LENGTH"));
        assertEquals(-1, r.accept(new byte[] {3, 1, 2}));
        assertEquals(-1, r.accept(TelegramVectorsTest.mode5Telegram()));
        assertEquals(1, events.count("MBUS_NO_KEY")); // encrypted, and no device-log key reference for it
    }
}
