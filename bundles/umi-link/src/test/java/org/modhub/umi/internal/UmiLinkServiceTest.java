package org.modhub.umi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modhub.api.common.Eui64;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceType;
import org.modhub.api.health.HealthState;
import org.modhub.api.keys.DeviceKeys;
import org.modhub.api.messaging.CommandRefusedException;
import org.modhub.api.messaging.Envelope;
import org.modhub.api.messaging.MessageType;
import org.modhub.api.metering.Measurands;
import org.modhub.emulator.umi.internal.MeterKeys;
import org.modhub.emulator.umi.internal.MeterModel;
import org.modhub.emulator.umi.internal.OpticalMeterServer;
import org.modhub.emulator.umi.internal.TcpMeterServer;
import org.modhub.testing.memory.MemoryDeviceKeys;
import org.modhub.testing.memory.MemoryDeviceLog;
import org.modhub.testing.memory.MemoryEventLog;
import org.modhub.testing.memory.MemoryMeteringStore;
import org.modhub.testing.memory.MemoryStateStore;
import org.modhub.testing.pty.PtyPair;

/** The link component as DS builds it, with in-memory hub-core services. */
class UmiLinkServiceTest {
    static final Eui64 METER = Eui64.parse("00-11-22-33-44-55-66-77");
    static final String TITLE = "4D4F444855420001";
    static final DlmsKeys KEYS = new DlmsKeys(HexFormat.of().parseHex(TITLE), HexFormat.of().parseHex(UmiClientTest.EK),
            HexFormat.of().parseHex(UmiClientTest.AK));

    @TempDir
    Path dir;
    final List<String> logLines = new ArrayList<>();
    final MemoryMeteringStore metering = new MemoryMeteringStore();
    final MemoryStateStore state = new MemoryStateStore();
    final MemoryEventLog events = new MemoryEventLog();
    final MemoryDeviceLog deviceLog = new MemoryDeviceLog();
    final MemoryDeviceKeys keys = new MemoryDeviceKeys();
    DeviceKeys bound = keys; // what SCR binds right after construction
    final List<AutoCloseable> closeLater = new ArrayList<>();
    UmiLinkService service;

    @AfterEach
    void stop() throws Exception {
        if (service != null) {
            service.deactivate();
        }
        for (AutoCloseable c : closeLater) {
            c.close();
        }
    }

    UmiLinkService start(Map<String, Object> values) throws Exception {
        Map<String, Object> v = new HashMap<>(values);
        v.putIfAbsent("meterId", METER.toString());
        v.putIfAbsent("pollSeconds", 5);
        UmiLinkService s = new UmiLinkService(metering, state, events, deviceLog, Fakes.logger(logLines),
                Fakes.config(UmiLinkService.Config.class, v), Map.of("service.pid", UmiLinkService.PID));
        s.deviceKeys = bound;
        return s;
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    String refusal(Map<String, Object> values) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> start(values));
        assertTrue(logLines.stream().anyMatch(l -> l.contains(e.getMessage())), "logged: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void refusalsNameThePidAndTheField() {
        assertTrue(refusal(Map.of()).startsWith("configuration org.modhub.umi refused: field keyId: required"));
        assertTrue(refusal(Map.of("keyId", "../x")).startsWith("configuration org.modhub.umi refused: field keyId:"));
        assertTrue(refusal(Map.of("systemTitle", TITLE, ".blockCipherKey", "zz", ".authenticationKey", UmiClientTest.AK))
                .startsWith("configuration org.modhub.umi refused: field .blockCipherKey:"));
        assertTrue(refusal(Map.of("systemTitle", "0102", ".blockCipherKey", UmiClientTest.EK, ".authenticationKey",
                UmiClientTest.AK)).startsWith("configuration org.modhub.umi refused: field systemTitle:"));
        assertTrue(refusal(Map.of("transport", "MODBUS", "keyId", "m")).contains("field transport:"));
        assertTrue(refusal(Map.of("transport", "IEC62056_21")).contains("field serialDevice: required"));
        assertTrue(refusal(Map.of("transport", "IEC62056_21", "serialDevice", "/dev/null", "deviceAddress", "a!"))
                .contains("field deviceAddress:"));
        assertTrue(refusal(Map.of("keyId", "m", "meterId", "nope")).contains("field meterId:"));
        for (String l : logLines) {
            assertFalse(l.contains(UmiClientTest.AK), "no key in the log: " + l);
        }
    }

    @Test
    void keysComeFromConfigurationOnceIntoTheKeyStoreAndReadsFlow() throws Exception {
        TcpMeterServer meter = new TcpMeterServer(MeterModel.standard(), MeterKeys.hex("4D4D4D0000BC614E",
                UmiClientTest.EK, UmiClientTest.AK), 0);
        closeLater.add(meter);
        service = start(Map.of("port", meter.port(), "systemTitle", TITLE, ".blockCipherKey", UmiClientTest.EK,
                ".authenticationKey", UmiClientTest.AK));
        await("import register read", () -> metering.latest(METER, Measurands.ACTIVE_ENERGY_IMPORT).isPresent());
        assertEquals(List.of(METER.toHex()), List.copyOf(keys.list().keySet()), "imported under the meter id");
        assertEquals(KEYS, DlmsKeys.lookup(keys, METER.toHex()).orElseThrow());
        assertEquals(List.of("put " + METER.toHex() + " imported from configuration " + UmiLinkService.PID), keys.audit);
        assertTrue(logLines.stream().anyMatch(l -> l.contains("no ConfigurationAdmin to remove them")));
        for (String l : logLines) {
            assertFalse(l.contains(UmiClientTest.EK) || l.contains(UmiClientTest.AK), "no key in the log: " + l);
        }
        events.events.forEach(e -> assertFalse(e.detail().contains(UmiClientTest.EK), e.detail()));
        await("health UP once the cycle is complete", () -> service.health().state() == HealthState.UP);

        // the meter is in the device log (with its key id), so meter-reports takes its readings to the head end
        DeviceLogEntry entry = deviceLog.find(METER).orElseThrow();
        assertEquals(DeviceType.ELECTRICITY_METER, entry.type());
        assertEquals(Optional.of(METER.toHex()), entry.keyReference());
        assertTrue(events.has("UMI_METER_ENROLLED"));
        await("a day of load profile stored", () -> metering.samples.size() >= 94);
    }

    @Test
    void aMissingKeyIsReportedAndTheLinkComesUpOnceItIsStored() throws Exception {
        TcpMeterServer meter = new TcpMeterServer(MeterModel.standard(), MeterKeys.hex("4D4D4D0000BC614E",
                UmiClientTest.EK, UmiClientTest.AK), 0);
        closeLater.add(meter);
        service = start(Map.of("port", meter.port(), "keyId", "kitchen-meter"));
        await("keys-unavailable event", () -> events.has("UMI_KEYS_UNAVAILABLE"));
        assertEquals(HealthState.DEGRADED, service.health().state());
        assertTrue(service.health().reason().contains("kitchen-meter"), service.health().reason());
        keys.put("kitchen-meter", KEYS.material(), "test");
        await("reads after the key was stored", () -> metering.latest(METER, Measurands.ACTIVE_ENERGY_IMPORT).isPresent());
    }

    @Test
    void iec62056ReadoutMeterFeedsTheStoreAndRefusesSupplyCommands() throws Exception {
        assumeTrue(PtyPair.socatInstalled(), "socat is not installed");
        PtyPair pty = PtyPair.start(dir, "meter");
        closeLater.add(pty);
        Path meterEnd = pty.far;
        Path hubEnd = pty.hub;
        OpticalMeterServer optical = new OpticalMeterServer(MeterModel.standard(), meterEnd.toString(), "12345678",
                "MODHUB-OPT-001", '5');
        closeLater.add(0, optical);
        service = start(Map.of("transport", "IEC62056_21", "serialDevice", hubEnd.toString(), "deviceAddress", "12345678"));
        await("optical readout in the store", () -> metering.latest(METER, Measurands.ACTIVE_ENERGY_EXPORT).isPresent()
                && metering.latest(METER, Measurands.ACTIVE_POWER_IMPORT).isPresent());
        assertTrue(deviceLog.contains(METER), "enrolled for meter-reports");
        Envelope disconnect = new Envelope("t-1", MessageType.COMMAND, Eui64.parse("90-B3-D5-1F-30-02-00-00"), 1,
                Eui64.parse("00-00-00-00-00-00-00-01"), Instant.now(), 0x0A01, new byte[0]);
        CompletionException e = assertThrows(CompletionException.class,
                () -> service.handle(disconnect).toCompletableFuture().join());
        assertTrue(e.getCause() instanceof CommandRefusedException && e.getCause().getMessage().contains("readout only"),
                e.getCause().toString());
        optical.fault(OpticalMeterServer.Fault.BAD_BCC);
        await("malformed-response event", () -> events.has("UMI_MALFORMED_RESPONSE"));
        assertEquals(HealthState.DEGRADED, service.health().state());
        optical.fault(OpticalMeterServer.Fault.NONE);
        await("restored", () -> events.has("UMI_LINK_RESTORED"));
        assertTrue(Duration.between(metering.latest(METER, Measurands.ACTIVE_ENERGY_IMPORT).orElseThrow().instant(),
                Instant.now()).toSeconds() < 30);
    }

    @Test
    void withoutTheKeyServiceTheLinkIsDegradedAndComesUpWhenItIsBack() throws Exception {
        TcpMeterServer meter = new TcpMeterServer(MeterModel.standard(), MeterKeys.hex("4D4D4D0000BC614E",
                UmiClientTest.EK, UmiClientTest.AK), 0);
        closeLater.add(meter);
        keys.put("m1", KEYS.material(), "test");
        bound = null; // no key service
        service = start(Map.of("port", meter.port(), "keyId", "m1"));
        await("keys-unavailable event", () -> events.has("UMI_KEYS_UNAVAILABLE"));
        assertEquals(HealthState.DEGRADED, service.health().state());
        assertTrue(service.health().reason().contains("no device key service"), service.health().reason());
        assertFalse(metering.latest(METER, Measurands.ACTIVE_ENERGY_IMPORT).isPresent());
        service.deviceKeys = keys; // the service comes (dynamic, greedy)
        await("reads once the key service is there", () -> metering.latest(METER, Measurands.ACTIVE_ENERGY_IMPORT)
                .isPresent());
    }
}
