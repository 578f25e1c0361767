package org.modhub.api.han;

/**
 * The types of device a hub's device log knows, with their GBCS names.
 */
public enum DeviceType {
    /** Electricity smart metering equipment (ESME). */
    ELECTRICITY_METER("ESME"),
    /** Gas smart metering equipment (GSME), a battery-powered sleepy device. */
    GAS_METER("GSME"),
    /** In-home display or consumer access device (Type 2 device). */
    IN_HOME_DISPLAY("IHD"),
    /** Prepayment interface device (PPMID). */
    PREPAYMENT_DISPLAY("PPMID"),
    /** HAN-connected auxiliary load control switch (HCALCS). */
    LOAD_CONTROL("HCALCS"),
    /** A bridge to the occupier's appliance network (consumer access device acting as gateway). */
    CONSUMER_BRIDGE("CAD"),
    /** A water meter (wired or wireless M-Bus), since han 1.1. */
    WATER_METER("WATER"),
    /** A heat (or cooling) meter or heat cost allocator (wired or wireless M-Bus), since han 1.1. */
    HEAT_METER("HEAT");

    private final String gbcsName;

    DeviceType(String gbcsName) {
        this.gbcsName = gbcsName;
    }

    /** The short name GBCS uses for this device type. */
    public String gbcsName() {
        return gbcsName;
    }

    /** Parses either the enum name or the GBCS short name, ignoring case. */
    public static DeviceType parse(String text) {
        for (DeviceType t : values()) {
            if (t.name().equalsIgnoreCase(text) || t.gbcsName.equalsIgnoreCase(text)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown device type '" + text + "'");
    }
}
