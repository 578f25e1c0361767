package org.modhub.api.metering;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import org.modhub.api.common.Eui64;

/**
 * One interval of a load profile (e.g. half-hourly consumption): the quantity consumed in the
 * interval ending at {@code intervalEnd}, {@code raw × 10^scaler} {@code unit}.
 *
 * @param device the meter
 * @param measurand which quantity
 * @param intervalEnd end of the interval, UTC
 * @param interval the interval length (30 minutes for GB half-hourly data)
 * @param raw integer value
 * @param scaler power of ten
 * @param unit base unit
 * @param flags status; empty when valid
 */
public record ProfileSample(Eui64 device, ObisCode measurand, Instant intervalEnd, Duration interval, long raw,
        int scaler, Unit unit, Set<ReadingFlag> flags) {
    public ProfileSample {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(measurand, "measurand");
        Objects.requireNonNull(intervalEnd, "intervalEnd");
        Objects.requireNonNull(unit, "unit");
        if (interval == null || interval.isNegative() || interval.isZero() || interval.compareTo(Duration.ofDays(1)) > 0) {
            throw new IllegalArgumentException("interval must be between 0 and one day: " + interval);
        }
        if (scaler < -18 || scaler > 18) {
            throw new IllegalArgumentException("scaler out of range -18..18: " + scaler);
        }
        flags = flags == null || flags.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(flags));
    }

    public Instant intervalStart() {
        return intervalEnd.minus(interval);
    }

    public BigDecimal value() {
        return BigDecimal.valueOf(raw).scaleByPowerOfTen(scaler);
    }
}
