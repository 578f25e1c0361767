package org.modhub.api.metering;

import java.util.Optional;
import org.modhub.api.han.DeviceType;

/**
 * Well-known measurands and the map from ZigBee Smart Energy metering attributes (cluster 0x0702)
 * onto OBIS identities, so readings from a ZigBee meter and a DLMS meter land on the same quantity.
 */
public final class Measurands {
    /** Clock (class 8). */
    public static final ObisCode CLOCK = new ObisCode(0, 0, 1, 0, 0, 255);
    /** Active energy import (+A), total. Tariff registers: {@code withTariff(1..)}. */
    public static final ObisCode ACTIVE_ENERGY_IMPORT = new ObisCode(1, 0, 1, 8, 0, 255);
    /** Active energy export (-A), total. */
    public static final ObisCode ACTIVE_ENERGY_EXPORT = new ObisCode(1, 0, 2, 8, 0, 255);
    /** Instantaneous active power import. */
    public static final ObisCode ACTIVE_POWER_IMPORT = new ObisCode(1, 0, 1, 7, 0, 255);
    /** Instantaneous active power export. */
    public static final ObisCode ACTIVE_POWER_EXPORT = new ObisCode(1, 0, 2, 7, 0, 255);
    /** Electricity load profile (profile generic). */
    public static final ObisCode LOAD_PROFILE = new ObisCode(1, 0, 99, 1, 0, 255);
    /** Gas volume, forward, total (m³). */
    public static final ObisCode GAS_VOLUME = new ObisCode(7, 0, 3, 0, 0, 255);
    /** Gas energy (converted volume), today's consumption. */
    public static final ObisCode GAS_ENERGY_TODAY = new ObisCode(7, 0, 99, 23, 0, 255);
    /** Disconnect control. */
    public static final ObisCode DISCONNECT_CONTROL = new ObisCode(0, 0, 96, 3, 10, 255);

    /** ZigBee SE metering cluster id. */
    public static final int ZCL_METERING = 0x0702;
    public static final int ATTR_CURRENT_SUMMATION_DELIVERED = 0x0000;
    public static final int ATTR_CURRENT_SUMMATION_RECEIVED = 0x0001;
    /** CurrentTier1SummationDelivered; tier n is 0x0100 + 2(n-1). */
    public static final int ATTR_CURRENT_TIER1_SUMMATION_DELIVERED = 0x0100;
    public static final int ATTR_INSTANTANEOUS_DEMAND = 0x0400;

    private Measurands() {
    }

    /**
     * The OBIS identity of a ZigBee SE metering attribute on a meter of the given type.
     *
     * @return empty if the attribute has no place in the metering model
     */
    public static Optional<ObisCode> fromZigBee(DeviceType meterType, int cluster, int attribute) {
        if (cluster != ZCL_METERING) {
            return Optional.empty();
        }
        boolean gas = meterType == DeviceType.GAS_METER;
        if (attribute == ATTR_CURRENT_SUMMATION_DELIVERED) {
            return Optional.of(gas ? GAS_VOLUME : ACTIVE_ENERGY_IMPORT);
        }
        if (gas) {
            return Optional.empty();
        }
        if (attribute == ATTR_CURRENT_SUMMATION_RECEIVED) {
            return Optional.of(ACTIVE_ENERGY_EXPORT);
        }
        if (attribute == ATTR_INSTANTANEOUS_DEMAND) {
            return Optional.of(ACTIVE_POWER_IMPORT);
        }
        // Tier n delivered: 0x0100, 0x0102, ... 0x011E (tiers 1..15)
        if (attribute >= ATTR_CURRENT_TIER1_SUMMATION_DELIVERED && attribute <= 0x011E && (attribute & 1) == 0) {
            return Optional.of(ACTIVE_ENERGY_IMPORT.withTariff((attribute - ATTR_CURRENT_TIER1_SUMMATION_DELIVERED) / 2 + 1));
        }
        return Optional.empty();
    }
}
