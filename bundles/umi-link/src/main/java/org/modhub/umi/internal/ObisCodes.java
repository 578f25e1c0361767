package org.modhub.umi.internal;

import java.util.List;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.ObisCode;

/** The COSEM objects the hub reads from the metrology module. */
final class ObisCodes {
    static final String CLOCK = Measurands.CLOCK.toString();
    static final ObisCode IMPORT = Measurands.ACTIVE_ENERGY_IMPORT;
    static final ObisCode EXPORT = Measurands.ACTIVE_ENERGY_EXPORT;
    static final ObisCode LOAD_PROFILE = Measurands.LOAD_PROFILE;
    static final ObisCode DISCONNECT_CONTROL = Measurands.DISCONNECT_CONTROL;
    static final String EVENT_LOG = "0.0.99.98.0.255";

    /** Registers read on every cycle: import/export totals and tariffs 1, 2, instantaneous power. */
    static final List<ObisCode> REGISTERS = List.of(IMPORT, IMPORT.withTariff(1), IMPORT.withTariff(2), EXPORT,
            EXPORT.withTariff(1), EXPORT.withTariff(2), Measurands.ACTIVE_POWER_IMPORT, Measurands.ACTIVE_POWER_EXPORT);

    private ObisCodes() {
    }
}
