package org.modhub.management.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.modhub.api.common.Eui64;
import org.modhub.api.gas.GasProxy;
import org.modhub.api.gas.GasPush;
import org.modhub.api.gas.LogEntry;
import org.modhub.api.gas.MirrorRead;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceType;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.Unit;
import org.modhub.testing.memory.MemoryDeviceLog;

/** The gas section of {@code /api/status}: the mirrored read with its age, and the daily read log. */
class StatusJsonGasTest {
    static final Eui64 GAS = Eui64.parse("00-0D-6F-00-00-65-00-02");
    static final Instant NOW = Instant.parse("2026-11-22T08:10:00Z");

    @Test
    void gasEntryShowsTheMirroredReadAndTheDailyReadLogNewestFirst() throws Exception {
        MemoryDeviceLog devices = new MemoryDeviceLog();
        devices.add(DeviceLogEntry.withKeyReference(GAS, DeviceType.GAS_METER, "gsme"));
        GasProxy mirror = new GasProxy() {
            public void accept(GasPush push) {
                throw new UnsupportedOperationException();
            }

            public Optional<MirrorRead> read(Eui64 meter) {
                Instant at = NOW.minus(Duration.ofMinutes(70));
                return Optional.of(new MirrorRead(meter, at, Duration.ofMinutes(70), true, new BigDecimal("2346.233"), 5330, 39));
            }

            public List<ProfileSample> halfHourly(Eui64 meter, Instant from, Instant to) {
                return List.of();
            }

            public List<Reading> dailyReads(Eui64 meter) {
                return List.of(new Reading(meter, Measurands.GAS_VOLUME, Instant.parse("2026-11-22T00:00:00Z"), 2_346_000, -3,
                        Unit.CUBIC_METRE), new Reading(meter, Measurands.GAS_VOLUME, Instant.parse("2026-11-21T00:00:00Z"),
                                2_345_100, -3, Unit.CUBIC_METRE));
            }

            public void log(Eui64 meter, LogEntry entry) {
                throw new UnsupportedOperationException();
            }

            public List<LogEntry> log(Eui64 meter, LogEntry.Kind kind) {
                return List.of();
            }
        };
        String json = new StatusJson(null, devices, List.of(), List.of(), mirror, null, null, null).render(NOW);
        String expected = "\"gas\":[{\"meter\":\"00-0D-6F-00-00-65-00-02\",\"capturedAt\":\"2026-11-22T07:00:00Z\","
                + "\"ageSeconds\":4200,\"stale\":true,\"volumeM3\":2346.233,\"todayEnergyWh\":5330,\"todayCostMinor\":39,"
                + "\"daily\":[{\"at\":\"2026-11-22T00:00:00Z\",\"volumeM3\":2346},{\"at\":\"2026-11-21T00:00:00Z\",\"volumeM3\":2345.1}]}]";
        assertTrue(json.contains(expected), json);
    }
}
