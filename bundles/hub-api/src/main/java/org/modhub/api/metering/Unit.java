package org.modhub.api.metering;

import java.util.Optional;

/**
 * Units of the metering model, in base units (Wh, not kWh: scale with a power of ten), with their
 * DLMS/COSEM unit codes (IEC 62056-62 enumeration) and, where one exists, the ZigBee SE
 * UnitOfMeasure (attribute 0x0300) whose value maps onto them.
 */
public enum Unit {
    WATT_HOUR(30, 0, 3),
    WATT(27, 0, 3),
    VAR_HOUR(32, 13, 3),
    VAR(29, 13, 3),
    VOLT_AMPERE_HOUR(31, -1, 0),
    VOLT_AMPERE(28, -1, 0),
    CUBIC_METRE(13, 1, 0),
    CUBIC_METRE_PER_HOUR(15, 1, 0),
    LITRE(19, 7, 0),
    JOULE(25, 12, 6),
    VOLT(35, -1, 0),
    AMPERE(33, -1, 0),
    HERTZ(44, -1, 0),
    CELSIUS(9, -1, 0),
    SECOND(7, -1, 0),
    /** Money in the supplier's currency, minor units per the scaler. */
    CURRENCY(10, -1, 0),
    /** A count or a unitless value. */
    COUNT(255, 11, 0);

    private final int dlmsCode;
    private final int zigBeeCode;
    private final int zigBeeScaler;

    Unit(int dlmsCode, int zigBeeCode, int zigBeeScaler) {
        this.dlmsCode = dlmsCode;
        this.zigBeeCode = zigBeeCode;
        this.zigBeeScaler = zigBeeScaler;
    }

    /** The DLMS/COSEM unit enumeration value. */
    public int dlmsCode() {
        return dlmsCode;
    }

    public static Optional<Unit> fromDlms(int code) {
        for (Unit u : values()) {
            if (u.dlmsCode == code) {
                return Optional.of(u);
            }
        }
        return Optional.empty();
    }

    /**
     * The unit of a ZigBee SE metering value whose UnitOfMeasure is {@code code} (low 7 bits; the
     * high bit selects BCD formatting and is ignored). ZigBee "kWh" and "kW" map to Wh and W with
     * {@link #zigBeeScaler()} 3; "MJ" to J with 6.
     *
     * @param demand true for a demand (rate) attribute, false for a summation
     */
    public static Optional<Unit> fromZigBee(int code, boolean demand) {
        int c = code & 0x7F;
        return switch (c) {
            case 0 -> Optional.of(demand ? WATT : WATT_HOUR);
            case 1 -> Optional.of(demand ? CUBIC_METRE_PER_HOUR : CUBIC_METRE);
            case 7 -> Optional.of(LITRE);
            case 11 -> Optional.of(COUNT);
            case 12 -> Optional.of(JOULE);
            case 13 -> Optional.of(demand ? VAR : VAR_HOUR);
            default -> Optional.empty();
        };
    }

    /** The ZigBee UnitOfMeasure code that maps onto this unit, or -1. */
    public int zigBeeCode() {
        return zigBeeCode;
    }

    /** The power of ten between the ZigBee unit and this base unit (kWh to Wh: 3). */
    public int zigBeeScaler() {
        return zigBeeScaler;
    }
}
