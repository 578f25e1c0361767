package org.modhub.api.metering;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import org.modhub.api.common.Eui64;

/**
 * A register value at an instant: the value is {@code raw × 10^scaler} {@code unit}.
 *
 * @param device the meter
 * @param measurand which quantity (OBIS code; ZigBee attributes map through {@link Measurands})
 * @param instant when the value was captured, UTC
 * @param raw the integer value as the meter reports it
 * @param scaler power of ten
 * @param unit base unit
 * @param flags status; empty when valid
 */
public record Reading(Eui64 device, ObisCode measurand, Instant instant, long raw, int scaler, Unit unit,
        Set<ReadingFlag> flags) {
    public Reading {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(measurand, "measurand");
        Objects.requireNonNull(instant, "instant");
        Objects.requireNonNull(unit, "unit");
        if (scaler < -18 || scaler > 18) {
            throw new IllegalArgumentException("scaler out of range -18..18: " + scaler);
        }
        flags = flags == null || flags.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(flags));
    }

    public Reading(Eui64 device, ObisCode measurand, Instant instant, long raw, int scaler, Unit unit) {
        this(device, measurand, instant, raw, scaler, unit, Set.of());
    }

    /** The scaled value in the base unit. */
    public BigDecimal value() {
        return BigDecimal.valueOf(raw).scaleByPowerOfTen(scaler);
    }

    public boolean isValid() {
        return flags.isEmpty() || flags.equals(Set.of(ReadingFlag.MIRRORED));
    }
}
