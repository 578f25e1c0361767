package org.modhub.api.health;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/** The hub's health: every modhub component's state and the overall state. */
@ProviderType
public interface HubHealth {
    /**
     * STARTING until every required component has been active once; then UP while every component
     * is UP, DEGRADED while one is DEGRADED, and STARTING while one still reports that it is
     * starting (for example a key store being opened after its component activated).
     */
    HealthState overall();

    List<ComponentHealth> components();

    /** Time from JVM start to READY, once reached. */
    Optional<Duration> readyAfter();
}
