package org.modhub.bridge.gateway.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** One occupier consent: what one bridge may read (factory PID {@value Consent#PID}, one configuration per bridge). */
@ObjectClassDefinition(id = Consent.PID, name = "modhub consumer-HAN bridge consent",
        description = "What one bridge bundle may read: data objects, meters, read rate and history window. "
                + "Without a consent a bridge reads nothing.")
public @interface ConsentConfig {
    @AttributeDefinition(name = "Bridge", description = "Bundle-SymbolicName of the bridge bundle.")
    String bridge();

    @AttributeDefinition(name = "Data objects", description = "Granted data objects: current-registers, demand, "
            + "half-hourly-history, tariff, gas-mirror.")
    String[] dataObjects() default {};

    @AttributeDefinition(name = "Meters", description = "EUI-64s of the meters the bridge may read; empty: every "
            + "electricity and gas meter of the device log.")
    String[] meters() default {};

    @AttributeDefinition(name = "Reads per minute", min = "1", max = "6000",
            description = "Read allowance (token bucket; a burst of this many, refilled evenly over a minute).")
    int readsPerMinute() default 60;

    @AttributeDefinition(name = "History window (hours)", min = "1", max = "9528",
            description = "How far back half-hourly history may be read (and the longest range of one read).")
    int historyHours() default 48;
}
