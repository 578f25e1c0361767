package org.modhub.api.power;

/** Whether the supply a {@link PowerMonitor} watches is present. */
public enum PowerState {
    /** Mains present. */
    ON,
    /** Mains lost: the hub runs on stored energy, if it has any. */
    OFF
}
