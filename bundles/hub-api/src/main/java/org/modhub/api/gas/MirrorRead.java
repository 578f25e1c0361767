package org.modhub.api.gas;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.modhub.api.common.Eui64;

/**
 * The mirror's latest values for a gas meter, with their age: mirrored values may be up to a wake
 * interval old, and older when the meter has not been heard from.
 *
 * @param meter the gas meter
 * @param capturedAt when the meter captured them
 * @param age how old they are now
 * @param stale whether the meter has missed its expected pushes (age beyond the staleness limit)
 * @param volumeM3 total volume register
 * @param todayEnergyWh energy since midnight UTC
 * @param todayCostMinor cost since midnight UTC
 */
public record MirrorRead(Eui64 meter, Instant capturedAt, Duration age, boolean stale, BigDecimal volumeM3,
        long todayEnergyWh, long todayCostMinor) {
    public MirrorRead {
        Objects.requireNonNull(meter, "meter");
        Objects.requireNonNull(capturedAt, "capturedAt");
        Objects.requireNonNull(age, "age");
        Objects.requireNonNull(volumeM3, "volumeM3");
    }
}
