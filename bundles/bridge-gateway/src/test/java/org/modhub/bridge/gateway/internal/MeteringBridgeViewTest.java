package org.modhub.bridge.gateway.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.modhub.api.bridge.BridgeAccessException.Reason;
import org.modhub.api.bridge.BridgeAccessException;
import org.modhub.api.bridge.BridgeMeter;
import org.modhub.api.bridge.MeteringBridge;
import org.modhub.api.common.Eui64;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceType;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.Unit;
import org.modhub.testing.memory.MemoryDeviceLog;
import org.modhub.testing.memory.MemoryEventLog;
import org.modhub.testing.memory.MemoryMeteringStore;

class MeteringBridgeViewTest {
    static final Eui64 ELEC = Eui64.parse("00-0D-6F-00-00-00-00-11");
    static final Eui64 ELEC2 = Eui64.parse("00-0D-6F-00-00-00-00-12");
    static final Eui64 GAS = Eui64.parse("00-0D-6F-00-00-00-00-21");
    static final Eui64 IHD = Eui64.parse("00-0D-6F-00-00-00-00-31");
    static final Instant NOW = Instant.parse("2026-11-20T12:00:00Z");

    final MemoryMeteringStore metering = new MemoryMeteringStore();
    final MemoryDeviceLog devices = new MemoryDeviceLog();
    final MemoryEventLog events = new MemoryEventLog();
    final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    BridgePolicy policy;

    @BeforeEach
    void setUp() throws Exception {
        policy = new BridgePolicy(new BridgeAudit(() -> events, Runnable::run, nanos::get), nanos::get);
        devices.add(new DeviceLogEntry(ELEC, DeviceType.ELECTRICITY_METER, null, null, NOW));
        devices.add(new DeviceLogEntry(ELEC2, DeviceType.ELECTRICITY_METER, null, null, NOW));
        devices.add(new DeviceLogEntry(GAS, DeviceType.GAS_METER, null, null, NOW));
        devices.add(new DeviceLogEntry(IHD, DeviceType.IN_HOME_DISPLAY, null, null, NOW));
        metering.record(List.of(
                new Reading(ELEC, Measurands.ACTIVE_ENERGY_IMPORT, NOW.minusSeconds(60), 1_234_567, 0, Unit.WATT_HOUR),
                new Reading(ELEC, Measurands.ACTIVE_ENERGY_EXPORT, NOW.minusSeconds(60), 890, 0, Unit.WATT_HOUR),
                new Reading(ELEC, Measurands.ACTIVE_POWER_IMPORT, NOW.minusSeconds(10), 1530, 0, Unit.WATT),
                new Reading(ELEC, Measurands.ACTIVE_ENERGY_IMPORT.withTariff(1), NOW.minusSeconds(60), 1_000_000, 0, Unit.WATT_HOUR),
                new Reading(ELEC, Measurands.ACTIVE_ENERGY_IMPORT.withTariff(2), NOW.minusSeconds(60), 234_567, 0, Unit.WATT_HOUR),
                new Reading(GAS, Measurands.GAS_VOLUME, NOW.minusSeconds(600), 1234_567, -3, Unit.CUBIC_METRE)));
        List<ProfileSample> samples = new ArrayList<>();
        for (int i = 0; i < 96 * 2; i++) {
            samples.add(new ProfileSample(ELEC, Measurands.ACTIVE_ENERGY_IMPORT, NOW.minus(Duration.ofMinutes(30L * i)),
                    Duration.ofMinutes(30), 100 + i, 0, Unit.WATT_HOUR, Set.of()));
        }
        metering.recordProfile(samples);
        metering.writes.set(0);
    }

    MeteringBridgeView view(String bridge, boolean isBridge) {
        return new MeteringBridgeView(bridge, isBridge, policy, () -> metering, () -> null, () -> devices,
                Clock.fixed(NOW, ZoneOffset.UTC));
    }

    void consent(String bridge, String objects, String meters, int perMinute, int historyHours) {
        policy.putConsent(bridge, Consent.validate(bridge, objects.isEmpty() ? new String[0] : objects.split(","),
                meters.isEmpty() ? new String[0] : meters.split(","), perMinute, historyHours));
    }

    @Test
    void grantedReadsReturnFilteredData() throws Exception {
        consent("org.example.bridge", "current-registers,demand,tariff,half-hourly-history", "", 600, 48);
        MeteringBridge v = view("org.example.bridge", true);
        assertEquals(List.of(new BridgeMeter(ELEC, false), new BridgeMeter(ELEC2, false), new BridgeMeter(GAS, true)),
                v.meters(), "meters only, the IHD is not listed");
        assertEquals(List.of(1_234_567L, 890L), v.currentRegisters(ELEC).stream().map(Reading::raw).toList());
        assertEquals(List.of(1_234_567L), v.currentRegisters(GAS).stream().map(Reading::raw).toList());
        assertEquals(List.of(1530L), v.demand(ELEC).stream().map(Reading::raw).toList());
        assertEquals(List.of(1_000_000L, 234_567L), v.tariffRegisters(ELEC).stream().map(Reading::raw).toList());
        List<ProfileSample> day = v.halfHourly(ELEC, NOW.minus(Duration.ofHours(24)), NOW.plusSeconds(1));
        assertEquals(49, day.size());
        assertTrue(day.get(0).intervalEnd().isBefore(day.get(48).intervalEnd()));
        assertEquals(0, metering.writes.get(), "a bridge read never writes");
        assertEquals(List.of(), events.codes());
    }

    @Test
    void returnedDataCannotBeModified() throws Exception {
        consent("b", "current-registers,half-hourly-history", "", 600, 48);
        MeteringBridge v = view("b", true);
        List<Reading> regs = v.currentRegisters(ELEC);
        assertThrows(UnsupportedOperationException.class, () -> regs.clear());
        List<ProfileSample> hh = v.halfHourly(ELEC, NOW.minus(Duration.ofHours(1)), NOW);
        assertThrows(UnsupportedOperationException.class, () -> hh.add(hh.get(0)));
        assertThrows(UnsupportedOperationException.class, () -> v.meters().remove(0));
    }

    @Test
    void theSpiHasNoWayToWriteOrSend() {
        // Every method of the bridge SPI is a read: it takes ids and instants only, never a payload,
        // a reading, an envelope or a configuration.
        Set<Class<?>> readArguments = Set.of(Eui64.class, Instant.class);
        for (Method m : MeteringBridge.class.getMethods()) {
            if (Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            for (Class<?> p : m.getParameterTypes()) {
                assertTrue(readArguments.contains(p), m + " takes a " + p.getName());
            }
            assertTrue(m.getReturnType() != void.class, m + " returns nothing: it can only be for its side effect");
        }
    }

    @Test
    void notGrantedDataObjectIsRefusedWithEvent() throws Exception {
        consent("b", "current-registers", "", 600, 48);
        MeteringBridge v = view("b", true);
        BridgeAccessException e = assertThrows(BridgeAccessException.class, () -> v.demand(ELEC));
        assertEquals(Reason.NOT_GRANTED, e.reason());
        assertEquals("bridge b is not granted data object 'demand' (granted: [current-registers])", e.getMessage());
        assertThrows(BridgeAccessException.class, () -> v.halfHourly(ELEC, NOW.minusSeconds(3600), NOW));
        assertThrows(BridgeAccessException.class, () -> v.tariffRegisters(ELEC));
        assertThrows(BridgeAccessException.class, () -> v.gasMirror(GAS));
        assertEquals(List.of(BridgeAudit.READ_REFUSED), events.codes(), "one event, the repeats are throttled");
        assertTrue(events.events.get(0).detail().contains("demand not granted"), events.events.get(0).detail());
    }

    @Test
    void notGrantedMeterAndNonMetersAreRefused() throws Exception {
        consent("b", "current-registers", "00-0D-6F-00-00-00-00-11", 600, 48);
        MeteringBridge v = view("b", true);
        assertEquals(List.of(new BridgeMeter(ELEC, false)), v.meters());
        assertEquals(2, v.currentRegisters(ELEC).size());
        BridgeAccessException e = assertThrows(BridgeAccessException.class, () -> v.currentRegisters(ELEC2));
        assertEquals(Reason.NOT_GRANTED, e.reason());
        assertEquals("bridge b is not granted meter 00-0D-6F-00-00-00-00-12", e.getMessage());
        consent("c", "current-registers", "", 600, 48);
        MeteringBridge all = view("c", true);
        e = assertThrows(BridgeAccessException.class, () -> all.currentRegisters(IHD));
        assertEquals("no meter 00-0D-6F-00-00-00-00-31 is visible to bridge c", e.getMessage());
        assertThrows(BridgeAccessException.class, () -> all.currentRegisters(Eui64.of(99)));
        assertEquals(2, events.codes().size());
    }

    @Test
    void historyBeyondTheWindowIsRefused() throws Exception {
        consent("b", "half-hourly-history", "", 600, 24);
        MeteringBridge v = view("b", true);
        assertEquals(48, v.halfHourly(ELEC, NOW.minus(Duration.ofHours(24)), NOW).size());
        BridgeAccessException e = assertThrows(BridgeAccessException.class,
                () -> v.halfHourly(ELEC, NOW.minus(Duration.ofHours(25)), NOW));
        assertEquals(Reason.RANGE_NOT_GRANTED, e.reason());
        assertTrue(e.getMessage().startsWith("bridge b may read history back to 2026-11-19T12:00:00Z (window 24 h)"),
                e.getMessage());
        e = assertThrows(BridgeAccessException.class, () -> v.halfHourly(ELEC, NOW, NOW.minusSeconds(1)));
        assertEquals(Reason.RANGE_NOT_GRANTED, e.reason());
        assertEquals(List.of(BridgeAudit.READ_REFUSED), events.codes());
    }

    @Test
    void exceedingTheRateIsRefusedUntilTokensRefill() throws Exception {
        consent("b", "current-registers", "", 6, 48);
        MeteringBridge v = view("b", true);
        for (int i = 0; i < 6; i++) {
            v.currentRegisters(ELEC);
        }
        BridgeAccessException e = assertThrows(BridgeAccessException.class, () -> v.currentRegisters(ELEC));
        assertEquals(Reason.RATE_LIMITED, e.reason());
        assertEquals(10_000, e.retryAfterMillis());
        assertEquals("bridge b exceeded its read rate of 6 reads per minute; retry in 10000 ms", e.getMessage());
        assertThrows(BridgeAccessException.class, () -> v.meters(), "every read counts");
        assertEquals(List.of(BridgeAudit.RATE_LIMITED), events.codes());
        nanos.addAndGet(10_000_000_000L);
        assertEquals(2, v.currentRegisters(ELEC).size(), "one token back after 10 s");
        // 10 s later the throttling window is over: the next refusal is logged and counts what was not
        assertThrows(BridgeAccessException.class, () -> v.currentRegisters(ELEC));
        assertEquals(List.of(BridgeAudit.RATE_LIMITED, BridgeAudit.RATE_LIMITED), events.codes());
        assertTrue(events.events.get(1).detail().contains("(1 more refusals not logged)"), events.events.get(1).detail());
    }

    @Test
    void rateIsPerBridgeAndSurvivesANewView() throws Exception {
        consent("b", "current-registers", "", 2, 48);
        consent("c", "current-registers", "", 2, 48);
        view("b", true).currentRegisters(ELEC);
        view("b", true).currentRegisters(ELEC);
        assertThrows(BridgeAccessException.class, () -> view("b", true).currentRegisters(ELEC));
        assertEquals(2, view("c", true).currentRegisters(ELEC).size());
    }

    @Test
    void bundleWithoutHeaderOrConsentReadsNothing() {
        consent("b", "current-registers", "", 600, 48);
        BridgeAccessException e = assertThrows(BridgeAccessException.class, () -> view("b", false).currentRegisters(ELEC));
        assertEquals(Reason.NOT_A_BRIDGE, e.reason());
        assertEquals(Set.of(), view("b", false).granted());
        e = assertThrows(BridgeAccessException.class, () -> view("other", true).meters());
        assertEquals(Reason.NOT_A_BRIDGE, e.reason());
        assertEquals("bridge other has no consent: no consent configuration (org.modhub.bridge.consent) names it",
                e.getMessage());
        consent("b2", "demand", "", 600, 48);
        policy.putConsent("second", Consent.validate("b", new String[] {"demand"}, null, 600, 48));
        e = assertThrows(BridgeAccessException.class, () -> view("b", true).meters());
        assertTrue(e.getMessage().contains("more than one consent"), e.getMessage());
    }

    @Test
    void withdrawnConsentAppliesAtOnce() throws Exception {
        consent("b", "current-registers", "", 600, 48);
        MeteringBridge v = view("b", true);
        v.currentRegisters(ELEC);
        policy.removeConsent("b");
        assertThrows(BridgeAccessException.class, () -> v.currentRegisters(ELEC));
        assertEquals(Set.of(), v.granted());
    }

    @Test
    void missingStoreIsUnavailableNotACrash() {
        consent("b", "current-registers", "", 600, 48);
        MeteringBridgeView v = new MeteringBridgeView("b", true, policy, () -> null, () -> null, () -> null,
                Clock.fixed(NOW, ZoneOffset.UTC));
        BridgeAccessException e = assertThrows(BridgeAccessException.class, () -> v.meters());
        assertEquals(Reason.UNAVAILABLE, e.reason());
    }
}
