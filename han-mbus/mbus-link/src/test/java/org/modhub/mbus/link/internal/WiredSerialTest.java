package org.modhub.mbus.link.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fazecast.jSerialComm.SerialPort;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceType;
import org.modhub.api.metering.ObisCode;
import org.modhub.mbus.emulator.internal.EmulatedMeter;
import org.modhub.mbus.emulator.internal.SlaveEmulator;
import org.modhub.testing.memory.MemoryEventLog;
import org.modhub.testing.memory.MemoryMeteringStore;
import org.modhub.testing.memory.MemoryStateStore;

/**
 * The serial path: jMBus over the hub's jSerialComm transport on a pseudo-terminal that socat joins
 * to the slave emulator (as a level converter joins a serial port to the bus). socat is a test
 * requirement (.ci/run installs it).
 */
class WiredSerialTest {
    @Test
    void readsAMeterThroughASerialPort(@TempDir Path dir) throws Exception {
        try (SlaveEmulator emulator = new SlaveEmulator(0)) {
            emulator.add(new EmulatedMeter(7, 11223344, "ABB", 1, EmulatedMeter.TYPE_ELECTRICITY, null, 42, 0));
            Path tty = dir.resolve("mbus");
            Process socat = new ProcessBuilder("socat", "pty,raw,echo=0,link=" + tty + ",mode=666",
                    "tcp:127.0.0.1:" + emulator.port()).redirectErrorStream(true).redirectOutput(dir.resolve("socat.log").toFile()).start();
            try {
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (!Files.exists(tty)) {
                    if (!socat.isAlive() || System.nanoTime() > end) {
                        throw new AssertionError("socat made no pty: " + Files.readString(dir.resolve("socat.log")));
                    }
                    Thread.sleep(20);
                }
                org.modhub.testing.memory.MemoryDeviceLog devices = new org.modhub.testing.memory.MemoryDeviceLog();
                MemoryMeteringStore metering = new MemoryMeteringStore();
                MemoryEventLog events = new MemoryEventLog();
                MemoryStateStore state = new MemoryStateStore();
                devices.add(DeviceLogEntry.withKeyReference(org.modhub.api.common.Eui64.parse("0442112233440102"),
                        DeviceType.ELECTRICITY_METER, "none"));
                org.modhub.testing.memory.MemoryDeviceKeys keys = new org.modhub.testing.memory.MemoryDeviceKeys();
                MeterSink sink = new MeterSink("mbus", devices, metering, state, () -> events, () -> keys);
                try (WiredPoller p = new WiredPoller(() -> CapturingTransport.serial(tty.toString(), 2400, SerialPort.EVEN_PARITY, 3000),
                        List.of(WiredPoller.Address.parse("7")), sink, Clock.systemUTC())) {
                    WiredPoller.Result r = p.pollOnce();
                    assertEquals(1, r.read(), events.events.toString());
                    assertEquals(43, metering.latest(org.modhub.api.common.Eui64.parse("0442112233440102"),
                            ObisCode.parse("1.0.1.8.0.255")).orElseThrow().raw());
                }
            } finally {
                socat.destroy();
                if (!socat.waitFor(5, TimeUnit.SECONDS)) {
                    socat.destroyForcibly();
                }
            }
        }
    }
}
