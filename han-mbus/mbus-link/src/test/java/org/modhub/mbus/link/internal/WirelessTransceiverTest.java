package org.modhub.mbus.link.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fazecast.jSerialComm.SerialPort;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modhub.api.common.Eui64;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceType;
import org.modhub.api.keys.KeyType;
import org.modhub.api.metering.ObisCode;
import org.modhub.testing.memory.MemoryDeviceKeys;
import org.modhub.testing.memory.MemoryEventLog;
import org.modhub.testing.memory.MemoryMeteringStore;
import org.modhub.testing.memory.MemoryStateStore;
import org.modhub.testing.pty.PtyPair;
import org.openmuc.jmbus.wireless.WMBusConnection.WMBusManufacturer;
import org.openmuc.jmbus.wireless.WMBusConnection;
import org.openmuc.jmbus.wireless.WMBusMode;

/**
 * The transceiver path: jMBus's Amber driver over the hub's jSerialComm transport on one end of a
 * socat pty pair; the test plays the transceiver on the other end (it takes the driver's set-up
 * commands and then sends received telegrams, each followed by an RSSI octet, as an Amber module in
 * its default output format does).
 */
class WirelessTransceiverTest {
    @Test
    void telegramsFromAnAmberTransceiverReachTheMeteringStore(@TempDir Path dir) throws Exception {
        PtyPair pty = PtyPair.start(dir, "radio");
        Path radio = pty.far;
        Path hub = pty.hub;
        WMBusConnection connection = null;
        try {
            Eui64 gas = Eui64.parse("1593123456783303");
            Eui64 water = Eui64.parse("3265133463761707");
            org.modhub.testing.memory.MemoryDeviceLog devices = new org.modhub.testing.memory.MemoryDeviceLog();
            MemoryMeteringStore metering = new MemoryMeteringStore();
            MemoryEventLog events = new MemoryEventLog();
            MemoryStateStore state = new MemoryStateStore();
            devices.add(DeviceLogEntry.withKeyReference(gas, DeviceType.GAS_METER, "gas-7"));
            devices.add(DeviceLogEntry.withKeyReference(water, DeviceType.WATER_METER, "none"));
            MemoryDeviceKeys keys = new MemoryDeviceKeys();
            keys.put("gas-7", java.util.Map.of(KeyType.MBUS_AES128, TelegramVectorsTest.hex("000102030405060708090A0B0C0D0E0F")), "test");
            MeterSink sink = new MeterSink("wmbus", devices, metering, state, () -> events, () -> keys);
            WirelessReceiver receiver = new WirelessReceiver(sink, false, Clock.systemUTC());
            int before;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            // the plain S1 telegram until it arrives (the driver discards "noise" for a while after its
            // set-up commands; a repeat only stores the same reading again). On a pty the driver's
            // set-up now and then swallows the first telegrams for good: reconnect after 15 s, as the
            // hub's own reconnection would, at most three times.
            for (int attempt = 0; attempt < 3 && metering.latest(water, ObisCode.parse("8.0.1.0.0.255")).isEmpty(); attempt++) {
                if (connection != null) {
                    connection.close();
                }
                connection = CapturingTransport.serial(hub.toString(), 9600, SerialPort.NO_PARITY, 500)
                        .connectWireless(WMBusManufacturer.AMBER, WMBusMode.T, new ReceiverListener(receiver, e -> { }));
                long attemptEnd = Math.min(deadline, System.nanoTime() + TimeUnit.SECONDS.toNanos(15));
                try (OutputStream out = new FileOutputStream(radio.toFile())) {
                    while (metering.latest(water, ObisCode.parse("8.0.1.0.0.255")).isEmpty() && System.nanoTime() < attemptEnd) {
                        out.write(TelegramVectorsTest.hex(TelegramVectorsTest.S1 + "C8"));
                        out.flush();
                        Thread.sleep(500);
                    }
                }
            }
            try (OutputStream out = new FileOutputStream(radio.toFile())) {
                before = events.events.size();
                // the driver is receiving now: the mode-7 telegram once (a repeat would be a replay)
                out.write(TelegramVectorsTest.hex(TelegramVectorsTest.OMS_MODE7 + "D0"));
                out.flush();
                while (metering.latest(gas, ObisCode.parse("7.0.3.0.0.255")).isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
            }
            assertEquals(14004, metering.latest(water, ObisCode.parse("8.0.1.0.0.255")).orElseThrow(
                    () -> new AssertionError("no water reading; events " + events.events)).raw());
            assertEquals(2850427, metering.latest(gas, ObisCode.parse("7.0.3.0.0.255")).orElseThrow(
                    () -> new AssertionError("no gas reading; events " + events.events)).raw());
            assertEquals(before, events.events.size(), events.events.toString());
        } finally {
            if (connection != null) {
                connection.close();
            }
            pty.close();
        }
    }
}
