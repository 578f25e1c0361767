package org.modhub.api.gas;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;
import org.modhub.api.common.Eui64;

/**
 * What a gas meter pushes to the hub when it wakes (about every 30 minutes): its total volume
 * register, today's energy and today's cost, as captured by the meter.
 *
 * @param meter the gas meter
 * @param capturedAt when the meter captured the values (its clock, UTC)
 * @param volumeRaw total volume register: {@code volumeRaw × 10^volumeScaler} m³
 * @param volumeScaler power of ten of the volume register (-6 .. 3)
 * @param todayEnergyWh energy consumed since midnight UTC, Wh
 * @param todayCostMinor cost since midnight UTC, in minor currency units (pence)
 */
public record GasPush(Eui64 meter, Instant capturedAt, long volumeRaw, int volumeScaler, long todayEnergyWh,
        long todayCostMinor) {
    /** The largest plausible volume register: 10^9 m³. */
    public static final BigDecimal MAX_VOLUME_M3 = BigDecimal.valueOf(1_000_000_000L);
    /** The largest plausible daily energy of one domestic gas meter: 2 MWh. */
    public static final long MAX_DAY_ENERGY_WH = 2_000_000;
    /** The largest plausible daily cost: 100,000.00. */
    public static final long MAX_DAY_COST_MINOR = 10_000_000;

    public GasPush {
        Objects.requireNonNull(meter, "meter");
        Objects.requireNonNull(capturedAt, "capturedAt");
        if (volumeScaler < -6 || volumeScaler > 3) {
            throw new IllegalArgumentException("volume scaler out of -6..3: " + volumeScaler);
        }
        if (volumeRaw < 0 || BigDecimal.valueOf(volumeRaw).scaleByPowerOfTen(volumeScaler).compareTo(MAX_VOLUME_M3) > 0) {
            throw new IllegalArgumentException("volume register out of range: " + volumeRaw + "e" + volumeScaler + " m³");
        }
        if (todayEnergyWh < 0 || todayEnergyWh > MAX_DAY_ENERGY_WH) {
            throw new IllegalArgumentException("today's energy out of 0.." + MAX_DAY_ENERGY_WH + " Wh: " + todayEnergyWh);
        }
        if (todayCostMinor < 0 || todayCostMinor > MAX_DAY_COST_MINOR) {
            throw new IllegalArgumentException("today's cost out of 0.." + MAX_DAY_COST_MINOR + ": " + todayCostMinor);
        }
    }

    /** Total volume in m³. */
    public BigDecimal volume() {
        return BigDecimal.valueOf(volumeRaw).scaleByPowerOfTen(volumeScaler);
    }
}
