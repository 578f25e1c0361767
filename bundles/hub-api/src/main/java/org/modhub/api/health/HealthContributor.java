package org.modhub.api.health;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Whiteboard: a component that knows more about its health than "active" registers this service
 * (for example a WAN link that is DOWN, or a store that found its file corrupt). The hub's health
 * includes what it reports.
 */
@ConsumerType
public interface HealthContributor {
    ComponentHealth health();
}
