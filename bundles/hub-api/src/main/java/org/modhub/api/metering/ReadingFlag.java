package org.modhub.api.metering;

import java.util.EnumSet;
import java.util.Set;

/**
 * Status of a reading or profile sample. A reading with no flags is a valid measured value. Each flag
 * has a fixed bit so stored status survives changes of this enum's order.
 */
public enum ReadingFlag {
    /** The value was estimated or derived, not measured (e.g. a gap filled by interpolation). */
    ESTIMATED(0),
    /** The meter's clock was not valid when the value was captured. */
    CLOCK_INVALID(1),
    /** No value was available for this instant or interval. */
    MISSING(2),
    /** The register wrapped or overflowed during the interval. */
    OVERFLOW(3),
    /** A power failure occurred during the interval. */
    POWER_DOWN(4),
    /** The meter's clock was adjusted during the interval. */
    CLOCK_ADJUSTED(5),
    /** The meter reported tamper or a critical error. */
    TAMPER(6),
    /** The value came from the hub's mirror rather than the meter directly, and may be aged. */
    MIRRORED(7);

    private final int bit;

    ReadingFlag(int bit) {
        this.bit = bit;
    }

    public int bit() {
        return bit;
    }

    public static int toMask(Set<ReadingFlag> flags) {
        int m = 0;
        for (ReadingFlag f : flags) {
            m |= 1 << f.bit;
        }
        return m;
    }

    public static Set<ReadingFlag> fromMask(int mask) {
        EnumSet<ReadingFlag> s = EnumSet.noneOf(ReadingFlag.class);
        for (ReadingFlag f : values()) {
            if ((mask & (1 << f.bit)) != 0) {
                s.add(f);
            }
        }
        return s;
    }
}
