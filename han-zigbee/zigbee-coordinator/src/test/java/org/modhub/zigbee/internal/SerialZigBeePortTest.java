package org.modhub.zigbee.internal;

import org.modhub.testing.memory.MemoryEventLog;
import org.modhub.testing.memory.MemoryStateStore;
import org.modhub.testing.pty.PtyPair;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import com.zsmartsystems.zigbee.transport.ZigBeePort;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modhub.api.han.HanNetworkState;

/** The library's serial port SPI on jSerialComm, over a socat pty pair; and a dongle driver on it. */
class SerialZigBeePortTest {
    @TempDir
    Path dir;

    @Test
    void carriesOctetsBothWays() throws Exception {
        try (PtyPair pty = PtyPair.start(dir, "dongle")) {
            SerialZigBeePort hub = new SerialZigBeePort(pty.hub.toString(), 115200, ZigBeePort.FlowControl.FLOWCONTROL_OUT_NONE);
            SerialZigBeePort dongle = new SerialZigBeePort(pty.far.toString(), 115200,
                    ZigBeePort.FlowControl.FLOWCONTROL_OUT_NONE);
            assertTrue(hub.open());
            assertTrue(dongle.open());
            try {
                hub.write(new int[] {0x1A, 0xC0, 0x38, 0xBC, 0x7E});
                hub.write(0x00);
                int[] got = new int[6];
                for (int i = 0; i < got.length; i++) {
                    got[i] = dongle.read(5000);
                }
                assertEquals(java.util.List.of(0x1A, 0xC0, 0x38, 0xBC, 0x7E, 0x00),
                        java.util.Arrays.stream(got).boxed().toList());
                dongle.write(new int[] {0xFF, 0x01});
                assertEquals(0xFF, hub.read(5000));
                assertEquals(0x01, hub.read(5000));
                assertEquals(-1, hub.read(200), "nothing more: read times out");
                dongle.write(0x55);
                Thread.sleep(300);
                hub.purgeRxBuffer();
                assertEquals(-1, hub.read(200), "purged");
            } finally {
                hub.close();
                dongle.close();
            }
        }
    }

    @Test
    void aDongleThatDoesNotAnswerLeavesTheNetworkDownWithAReason() throws Exception {
        try (PtyPair pty = PtyPair.start(dir, "dongle")) {
            MemoryEventLog events = new MemoryEventLog();
            Coordinator c = new Coordinator(ZigBeeCoordinatorComponent.driver("ember",
                    new SerialZigBeePort(pty.hub.toString(), 115200, ZigBeePort.FlowControl.FLOWCONTROL_OUT_NONE)),
                    new Coordinator.Settings(15, Duration.ofHours(24), 2, Duration.ofSeconds(1)), new Fakes.Devices(),
                    new MemoryStateStore(), new Fakes.Metering(), () -> events, () -> null, Fakes.logger(), Clock.systemUTC());
            try {
                HanNetworkState s = c.formOrRestore().toCompletableFuture().get(150, TimeUnit.SECONDS);
                assertEquals(HanNetworkState.DOWN, s);
                assertFalse(c.reason().isEmpty());
                assertEquals(1, events.count("HAN_NETWORK_DOWN"));
            } finally {
                c.shutdown();
            }
        }
    }
}
