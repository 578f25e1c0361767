package org.modhub.api.health;

/** Health of the hub or of one component. */
public enum HealthState {
    /** Not every required component is active yet. */
    STARTING,
    /** Working as intended. */
    UP,
    /** Working in part; the reason says what is missing. */
    DEGRADED
}
