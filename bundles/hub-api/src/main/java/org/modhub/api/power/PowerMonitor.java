package org.modhub.api.power;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Watches one power supply of the hub (normally mains), registered as a service by the bundle that
 * reads it.
 *
 * <p>Implementations register the service with {@link #SUPPLY} and {@link #STATE}, and update
 * {@link #STATE}, {@link #SINCE} and {@link #CHANGES} on every change, so consumers follow the supply
 * through ordinary service-modified events (as for {@code WanLink}). The modified event is
 * delivered synchronously on the monitor's thread, once per change and in order; a consumer that
 * needs the exact instant reads {@link #status()} or the {@link #SINCE} property rather than the
 * time it was called.
 */
@ProviderType
public interface PowerMonitor {
    /** Service property: which supply, e.g. "mains" (String). */
    String SUPPLY = "power.supply";
    /** Service property: the current {@link PowerState} name (String). */
    String STATE = "power.state";
    /** Service property: when the current state began, epoch milliseconds UTC (Long). */
    String SINCE = "power.since";
    /** Service property: number of changes observed since the monitor started (Long). */
    String CHANGES = "power.changes";
    /** Service property: where the state is read from, e.g. a sysfs path or "emulated" (String). */
    String SOURCE = "power.source";

    /** The supply watched, the same as the {@link #SUPPLY} service property. */
    String supply();

    /** The current state with the instant it began. */
    PowerStatus status();
}
