package org.modhub.gas.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.annotation.Annotation;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.modhub.api.common.Eui64;
import org.modhub.api.gas.GasPush;
import org.modhub.api.gas.LogEntry;
import org.modhub.api.gas.MirrorRead;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceType;
import org.modhub.api.han.UnknownDeviceException;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.modhub.testing.memory.MemoryDeviceLog;
import org.modhub.testing.memory.MemoryMeteringStore;
import org.modhub.testing.memory.MemoryStateStore;

class GasProxyServiceTest {
    static final Eui64 GAS = Eui64.parse("00-0D-6F-00-00-00-00-47");
    static final Eui64 ELEC = Eui64.parse("00-0D-6F-00-00-00-00-45");
    static final Instant DAY0 = Instant.parse("2026-11-01T00:00:00Z");

    final MemoryMeteringStore metering = new MemoryMeteringStore();
    final MemoryStateStore state = new MemoryStateStore();
    final MemoryDeviceLog devices = new MemoryDeviceLog();
    final Fakes.MutableClock clock = new Fakes.MutableClock(DAY0);
    GasProxyService mirror;

    static GasProxyService.Config config() {
        return new GasProxyService.Config() {
            public Class<? extends Annotation> annotationType() {
                return GasProxyService.Config.class;
            }

            public int staleAfterMinutes() {
                return 65;
            }

            public int maxRecoveryDays() {
                return 31;
            }

            public int maxClockAheadSeconds() {
                return 300;
            }
        };
    }

    @BeforeEach
    void setUp() throws Exception {
        devices.add(DeviceLogEntry.withKeyReference(GAS, DeviceType.GAS_METER, "gsme"));
        devices.add(DeviceLogEntry.withKeyReference(ELEC, DeviceType.ELECTRICITY_METER, "esme"));
        mirror = newMirror();
    }

    GasProxyService newMirror() {
        return new GasProxyService(metering, state, devices, Fakes.logger(), config(), clock);
    }

    /** A push a few seconds after half hour {@code n} of day 0, volume in litres. */
    GasPush push(int n, long litres) {
        Instant at = DAY0.plus(Duration.ofMinutes(30L * n)).plusSeconds(7);
        clock.now = at.plusSeconds(1);
        return new GasPush(GAS, at, litres, -3, litres * 11, litres / 10);
    }

    List<ProfileSample> profile() {
        return mirror.halfHourly(GAS, DAY0.minus(Duration.ofDays(400)), DAY0.plus(Duration.ofDays(400)));
    }

    @Test
    void derivesHalfHourlyConsumptionBySubtraction() throws Exception {
        long[] litres = {1_000, 1_250, 1_250, 1_900, 2_000};
        for (int n = 0; n < litres.length; n++) {
            mirror.accept(push(n, litres[n]));
        }
        List<ProfileSample> p = profile();
        assertEquals(4, p.size());
        assertEquals(List.of(250L, 0L, 650L, 100L), p.stream().map(ProfileSample::raw).toList());
        assertEquals(-3, p.get(0).scaler());
        assertEquals(DAY0.plus(Duration.ofMinutes(30)), p.get(0).intervalEnd());
        assertEquals(Duration.ofMinutes(30), p.get(0).interval());
        // midnight push: the daily read log has it
        List<Reading> daily = mirror.dailyReads(GAS);
        assertEquals(1, daily.size());
        assertEquals(DAY0, daily.get(0).instant());
        assertEquals(1_000, daily.get(0).raw());
    }

    @Test
    void readsComeFromTheMirrorWithTheirAgeAndGoStale() throws Exception {
        assertTrue(mirror.read(GAS).isEmpty());
        mirror.accept(push(0, 5_000));
        clock.now = clock.now.plus(Duration.ofMinutes(20));
        MirrorRead r = mirror.read(GAS).orElseThrow();
        assertEquals(new BigDecimal("5.000"), r.volumeM3());
        assertEquals(55_000, r.todayEnergyWh());
        assertTrue(r.age().compareTo(Duration.ofMinutes(20)) >= 0 && r.age().compareTo(Duration.ofMinutes(21)) <= 0);
        assertFalse(r.stale());
        clock.now = clock.now.plus(Duration.ofMinutes(50));
        assertTrue(mirror.read(GAS).orElseThrow().stale());
    }

    @Test
    void implausiblePushesAreRefusedAndChangeNothing() throws Exception {
        mirror.accept(push(0, 1_000));
        mirror.accept(push(1, 1_100));
        byte[] before = state.entries(GasProxyService.NAMESPACE).values().iterator().next().clone();
        GasPush back = new GasPush(GAS, DAY0.plusSeconds(60), 1_200, -3, 0, 0);
        assertThrows(IllegalArgumentException.class, () -> mirror.accept(back)); // earlier than the last
        GasPush lower = new GasPush(GAS, clock.now.plusSeconds(600), 900, -3, 0, 0);
        assertThrows(IllegalArgumentException.class, () -> mirror.accept(lower)); // volume went down
        GasPush future = new GasPush(GAS, clock.now.plus(Duration.ofHours(2)), 1_500, -3, 0, 0);
        assertThrows(IllegalArgumentException.class, () -> mirror.accept(future)); // ahead of the hub clock
        assertThrows(UnknownDeviceException.class, () -> mirror.accept(new GasPush(ELEC, clock.now, 1, 0, 0, 0)));
        assertThrows(UnknownDeviceException.class,
                () -> mirror.accept(new GasPush(Eui64.of(99), clock.now, 1, 0, 0, 0)));
        assertThrows(IllegalArgumentException.class, () -> new GasPush(GAS, clock.now, -1, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new GasPush(GAS, clock.now, 1, 0, 3_000_000, 0));
        assertEquals(1, profile().size());
        assertTrue(java.util.Arrays.equals(before, state.entries(GasProxyService.NAMESPACE).values().iterator().next()));
        mirror.accept(push(1, 1_100)); // the same push again is harmless
        assertEquals(1, profile().size());
    }

    @Test
    void gapsAreRecoveredFromTheMeterAtItsNextWakeUp() throws Exception {
        List<Instant[]> asked = new ArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        mirror.addRecovery((meter, from, to) -> {
            calls.incrementAndGet();
            asked.add(new Instant[] {from, to});
            List<GasPush> pushes = new ArrayList<>();
            // the meter kept half-hour snapshots 02..05 (of 02..05); it lost 06
            for (int n = 2; n <= 5; n++) {
                pushes.add(new GasPush(GAS, DAY0.plus(Duration.ofMinutes(30L * n)), 1_000 + 100L * n, -3, 0, 0));
            }
            pushes.add(new GasPush(ELEC, DAY0.plus(Duration.ofMinutes(60)), 5, -3, 0, 0)); // not asked for: ignored
            return CompletableFuture.completedFuture(pushes);
        });
        mirror.accept(push(0, 1_000));
        mirror.accept(push(1, 1_100));
        mirror.accept(push(7, 1_700)); // 02..06 missing
        assertEquals(1, calls.get());
        assertEquals(DAY0.plus(Duration.ofMinutes(60)), asked.get(0)[0]);
        assertEquals(DAY0.plus(Duration.ofMinutes(210)), asked.get(0)[1]);
        List<ProfileSample> p = profile();
        // 01, then 02..05 recovered; 06 and 07 still unknown (06 lost by the meter)
        assertEquals(List.of(30L, 60L, 90L, 120L, 150L), p.stream().map(s -> s.intervalEnd().getEpochSecond() / 60
                - DAY0.getEpochSecond() / 60).toList());
        assertTrue(p.stream().allMatch(s -> s.raw() == 100));
        // the rest is asked for again at the next push, and recovered when the meter has it
        GasProxyService restarted = newMirror(); // as after a bundle update: state comes from the store
        restarted.addRecovery((meter, from, to) -> CompletableFuture.completedFuture(
                List.of(new GasPush(GAS, DAY0.plus(Duration.ofMinutes(180)), 1_600, -3, 0, 0))));
        restarted.accept(push(8, 1_800));
        mirror = restarted;
        List<ProfileSample> all = profile();
        assertEquals(8, all.size(), all.toString());
        assertEquals(List.of(100L, 100L, 100L, 100L, 100L, 100L, 100L, 100L), all.stream().map(ProfileSample::raw).toList());
    }

    /**
     * A recovered capture (SE PublishSnapshot, payload type 0) has no "today's energy": the HAN bundle
     * hands it over with 0. The mirror takes only the volume register of recovered captures, so that 0
     * never reaches a read: today's energy and cost served are those of the latest live push, the
     * profile and the daily read of a recovered midnight come from volumes only.
     */
    @Test
    void recoveredCapturesWithoutTodaysEnergyNeverChangeWhatTheMirrorServes() throws Exception {
        mirror.addRecovery((meter, from, to) -> {
            List<GasPush> pushes = new ArrayList<>();
            for (long t = from.getEpochSecond(); t < to.getEpochSecond(); t += 1800) {
                long n = (t - DAY0.getEpochSecond()) / 1800;
                pushes.add(new GasPush(GAS, Instant.ofEpochSecond(t).plusSeconds(7), 1_000 + 100 * (n + 48), -3, 0, 0));
            }
            return CompletableFuture.completedFuture(pushes);
        });
        // the day before DAY0: half hours 46 and 47 (23:00, 23:30), then nothing until 01:00 on DAY0
        mirror.accept(pushBefore(2, 1_000 + 100 * 46));
        mirror.accept(pushBefore(1, 1_000 + 100 * 47));
        GasPush live = push(2, 1_000 + 100 * 50);
        mirror.accept(live);
        MirrorRead r = mirror.read(GAS).orElseThrow();
        assertEquals(live.capturedAt(), r.capturedAt());
        assertEquals(live.todayEnergyWh(), r.todayEnergyWh());
        assertEquals(live.todayCostMinor(), r.todayCostMinor());
        // 00:00, 00:30 recovered, 01:00 live: every half hour 100 litres, the midnight read from the recovered volume
        List<ProfileSample> p = profile();
        assertEquals(4, p.size(), p.toString());
        assertTrue(p.stream().allMatch(s -> s.raw() == 100), p.toString());
        List<Reading> daily = mirror.dailyReads(GAS);
        assertEquals(1, daily.size(), daily.toString());
        assertEquals(DAY0, daily.get(0).instant());
        assertEquals(1_000 + 100 * 48, daily.get(0).raw());
    }

    /** A push {@code n} half hours before DAY0 (a few seconds after that boundary). */
    GasPush pushBefore(int n, long litres) {
        Instant at = DAY0.minus(Duration.ofMinutes(30L * n)).plusSeconds(7);
        clock.now = at.plusSeconds(1);
        return new GasPush(GAS, at, litres, -3, litres * 11, litres / 10);
    }

    @Test
    void smallLogsKeepTheirNewestEntries() throws Exception {
        for (int i = 1; i <= 7; i++) {
            mirror.log(GAS, new LogEntry(LogEntry.Kind.TOP_UP, DAY0.plusSeconds(i), BigDecimal.valueOf(i * 1000L), "UTRN" + i));
        }
        List<LogEntry> topUps = mirror.log(GAS, LogEntry.Kind.TOP_UP);
        assertEquals(5, topUps.size());
        assertEquals("UTRN7", topUps.get(0).reference());
        assertEquals("UTRN3", topUps.get(4).reference());
        for (int i = 0; i < 14; i++) {
            mirror.log(GAS, new LogEntry(LogEntry.Kind.BILLING_SNAPSHOT, DAY0.plusSeconds(i), BigDecimal.valueOf(i), ""));
        }
        assertEquals(12, mirror.log(GAS, LogEntry.Kind.BILLING_SNAPSHOT).size());
        assertEquals(0, newMirror().log(GAS, LogEntry.Kind.DEBT_PAYMENT).size());
        assertEquals(5, newMirror().log(GAS, LogEntry.Kind.TOP_UP).size(), "kept in the state store");
        assertThrows(UnknownDeviceException.class,
                () -> mirror.log(ELEC, new LogEntry(LogEntry.Kind.TOP_UP, DAY0, BigDecimal.ONE, "")));
    }

    @Test
    void dailyReadLogKeepsThirtyOneMidnights() throws Exception {
        for (int day = 0; day < 40; day++) {
            Instant midnight = DAY0.plus(Duration.ofDays(day));
            clock.now = midnight.plusSeconds(10);
            mirror.accept(new GasPush(GAS, midnight.plusSeconds(5), 10_000L + day * 1_000L, -3, 0, 0));
        }
        List<Reading> daily = mirror.dailyReads(GAS);
        assertEquals(31, daily.size());
        assertEquals(DAY0.plus(Duration.ofDays(39)), daily.get(0).instant());
        assertEquals(49_000, daily.get(0).raw());
    }

    @Test
    void malformedConfigurationIsRefusedNamingTheField() {
        GasProxyService.Config bad = new GasProxyService.Config() {
            public Class<? extends Annotation> annotationType() {
                return GasProxyService.Config.class;
            }

            public int staleAfterMinutes() {
                return 5;
            }

            public int maxRecoveryDays() {
                return 31;
            }

            public int maxClockAheadSeconds() {
                return 300;
            }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GasProxyService(metering, state, devices, Fakes.logger(), bad, clock));
        assertTrue(e.getMessage().contains("org.modhub.gas.mirror") && e.getMessage().contains("'staleAfterMinutes'"));
    }
}
