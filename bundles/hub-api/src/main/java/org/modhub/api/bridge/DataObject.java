package org.modhub.api.bridge;

import java.util.Locale;

/**
 * The data objects a bridge may be granted, each by its own consent. Nothing else of the hub is
 * visible to a bridge.
 */
public enum DataObject {
    /** Cumulative registers: active energy import and export totals, the gas volume register. */
    CURRENT_REGISTERS,
    /** Instantaneous demand: active power import and export. */
    DEMAND,
    /** Half-hourly consumption history (load profile), within the granted history window. */
    HALF_HOURLY_HISTORY,
    /** Time-of-use tariff registers: active energy import and export per tariff (OBIS group E 1..). */
    TARIFF,
    /** The gas proxy's mirrored values (volume, today's energy and cost) with their age. */
    GAS_MIRROR;

    /** The name as written in configuration: lower case with dashes, e.g. {@code half-hourly-history}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * Parses the enum name or the configuration name, ignoring case.
     *
     * @throws IllegalArgumentException for anything else
     */
    public static DataObject parse(String text) {
        if (text != null) {
            String t = text.trim();
            for (DataObject d : values()) {
                if (d.name().equalsIgnoreCase(t) || d.configName().equalsIgnoreCase(t)) {
                    return d;
                }
            }
        }
        throw new IllegalArgumentException("unknown bridge data object '" + text + "'");
    }
}
