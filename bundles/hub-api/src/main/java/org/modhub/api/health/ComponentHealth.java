package org.modhub.api.health;

import java.util.Objects;

/**
 * Health of one component.
 *
 * @param name component name, e.g. {@code org.modhub.core.outbox}
 * @param state its state
 * @param reason why it is not UP (empty when UP)
 */
public record ComponentHealth(String name, HealthState state, String reason) {
    public ComponentHealth {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(state, "state");
        reason = reason == null ? "" : reason;
    }

    public static ComponentHealth up(String name) {
        return new ComponentHealth(name, HealthState.UP, "");
    }

    public static ComponentHealth degraded(String name, String reason) {
        return new ComponentHealth(name, HealthState.DEGRADED, reason);
    }
}
