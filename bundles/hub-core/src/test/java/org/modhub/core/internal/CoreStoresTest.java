package org.modhub.core.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.EventQuery;
import org.modhub.api.event.HubEvent;
import org.modhub.api.event.Severity;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceLogFullException;
import org.modhub.api.han.DeviceType;
import org.modhub.api.han.InstallCode;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.ReadingFlag;
import org.modhub.api.metering.ReadingQuery;
import org.modhub.api.metering.Unit;
import org.modhub.core.internal.db.HubStore;
import org.modhub.core.internal.event.SqliteEventLog;
import org.modhub.core.internal.han.SqliteDeviceLog;
import org.modhub.core.internal.metering.SqliteMeteringStore;
import org.modhub.core.internal.state.SqliteStateStore;
import org.modhub.core.internal.testing.Fakes;

class CoreStoresTest {
    @TempDir
    Path dir;

    private static final Eui64 METER = Eui64.parse("00-0D-6F-00-00-00-00-01");

    @Test
    void eventLogIsBoundedQueryableAndPersistent() throws Exception {
        HubStore store = Fakes.store(dir);
        SqliteEventLog events = new SqliteEventLog(store, Fakes.guard(), Fakes.logger(),
                Fakes.config(SqliteEventLog.Config.class, Map.of("maxEvents", 100)), Map.of());
        Instant t0 = Instant.parse("2026-11-22T00:00:00Z");
        for (int i = 0; i < 150; i++) {
            events.log(new HubEvent(0, t0.plusSeconds(i), EventKind.EVENT, i % 2 == 0 ? "EVEN" : "ODD", Severity.INFO,
                    Optional.of(METER), "test", "n" + i));
        }
        events.log(HubEvent.of(EventKind.AUDIT, "COMMAND_REFUSED", Severity.WARNING, null, "test", "audit"));
        List<HubEvent> all = events.query(EventQuery.latest(1000));
        assertEquals(101, all.size(), "100 events kept, plus the audit entry");
        List<HubEvent> odd = events.query(new EventQuery(t0.plusSeconds(100), t0.plusSeconds(120), Set.of("ODD"),
                Optional.of(EventKind.EVENT), 100));
        assertEquals(10, odd.size());
        assertEquals("n119", odd.get(0).detail(), "newest first");
        assertEquals(Optional.of(METER), odd.get(0).device());
        // a new instance over the same file sees the same log
        SqliteEventLog again = new SqliteEventLog(store, Fakes.guard(), Fakes.logger(),
                Fakes.config(SqliteEventLog.Config.class, Map.of("maxEvents", 100)), Map.of());
        assertEquals(1, again.query(new EventQuery(Instant.EPOCH, Instant.MAX, Set.of("COMMAND_REFUSED"),
                Optional.empty(), 10)).size());
        assertThrows(IllegalArgumentException.class,
                () -> HubEvent.of(EventKind.EVENT, "bad code", Severity.INFO, null, "", ""));
    }

    @Test
    void meteringStoreKeepsReadingsAndProfiles() throws Exception {
        SqliteMeteringStore metering = new SqliteMeteringStore(Fakes.store(dir), Fakes.guard(),
                Fakes.config(SqliteMeteringStore.Config.class, Map.of()), Map.of());
        Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MINUTES);
        metering.record(List.of(new Reading(METER, Measurands.ACTIVE_ENERGY_IMPORT, now.minusSeconds(60), 1000, 0,
                Unit.WATT_HOUR), new Reading(METER, Measurands.ACTIVE_ENERGY_IMPORT, now, 1500, 0, Unit.WATT_HOUR,
                        EnumSet.of(ReadingFlag.ESTIMATED))));
        Reading latest = metering.latest(METER, Measurands.ACTIVE_ENERGY_IMPORT).orElseThrow();
        assertEquals(1500, latest.raw());
        assertEquals(Set.of(ReadingFlag.ESTIMATED), latest.flags());
        assertEquals(Optional.empty(), metering.latest(METER, Measurands.GAS_VOLUME));
        // a re-read of the same instant replaces the value
        metering.record(List.of(new Reading(METER, Measurands.ACTIVE_ENERGY_IMPORT, now, 1501, 0, Unit.WATT_HOUR)));
        assertEquals(2, metering.readings(new ReadingQuery(METER, Measurands.ACTIVE_ENERGY_IMPORT, now.minusSeconds(3600),
                now.plusSeconds(1), 10)).size());
        assertEquals(1501, metering.latest(METER, Measurands.ACTIVE_ENERGY_IMPORT).get().raw());

        Instant midnight = Instant.parse("2026-11-21T00:00:00Z");
        List<ProfileSample> day = new java.util.ArrayList<>();
        for (int i = 1; i <= 48; i++) {
            day.add(new ProfileSample(METER, Measurands.ACTIVE_ENERGY_IMPORT, midnight.plus(Duration.ofMinutes(30L * i)),
                    Duration.ofMinutes(30), 100 + i, 0, Unit.WATT_HOUR, Set.of()));
        }
        metering.recordProfile(day);
        List<ProfileSample> back = metering.profile(new ReadingQuery(METER, Measurands.ACTIVE_ENERGY_IMPORT, midnight,
                midnight.plus(Duration.ofDays(1)), 100));
        assertEquals(47, back.size(), "the half-open range excludes the sample ending at the next midnight");
        assertEquals(101, back.get(0).raw());
        assertEquals(midnight, back.get(0).intervalStart());
    }

    @Test
    void deviceLogIsAWhitelistWithCapacity() throws Exception {
        SqliteDeviceLog log = new SqliteDeviceLog(Fakes.store(dir), Fakes.guard(),
                Fakes.config(SqliteDeviceLog.Config.class, Map.of("capacity", 2)), Map.of());
        InstallCode code = InstallCode.parse("83FED3407A939723A5C639B26916D505C3B5");
        log.add(DeviceLogEntry.withInstallCode(METER, DeviceType.ELECTRICITY_METER, code));
        log.add(DeviceLogEntry.withKeyReference(Eui64.of(2), DeviceType.GAS_METER, "gsme-2"));
        assertThrows(DeviceLogFullException.class,
                () -> log.add(DeviceLogEntry.withKeyReference(Eui64.of(3), DeviceType.IN_HOME_DISPLAY, "ihd")));
        // replacing an existing entry is allowed when full
        log.add(DeviceLogEntry.withKeyReference(Eui64.of(2), DeviceType.GAS_METER, "gsme-2b"));
        assertEquals(2, log.entries().size());
        assertEquals(Optional.of("gsme-2b"), log.find(Eui64.of(2)).get().keyReference());
        assertArrayEquals(code.octets(), log.find(METER).get().installCode().get().octets());
        assertTrue(log.remove(METER));
        assertFalse(log.contains(METER));
        assertFalse(log.remove(METER));
    }

    @Test
    void stateStoreCompareAndSet() throws Exception {
        SqliteStateStore state = new SqliteStateStore(Fakes.store(dir));
        assertTrue(state.compareAndSet("ns", "k", null, new byte[] {1}));
        assertFalse(state.compareAndSet("ns", "k", null, new byte[] {2}));
        assertTrue(state.compareAndSet("ns", "k", new byte[] {1}, new byte[] {2}));
        assertArrayEquals(new byte[] {2}, state.get("ns", "k").get());
        state.put("ns", "j", new byte[] {9});
        assertEquals(2, state.entries("ns").size());
        assertTrue(state.remove("ns", "j"));
        assertEquals(Optional.empty(), state.get("other", "k"));
    }
}
