package org.modhub.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Hashtable;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modhub.api.health.HealthState;
import org.modhub.api.health.HubHealth;
import org.modhub.api.messaging.OutboundMessage;
import org.modhub.api.messaging.Outbox;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

/**
 * The hub's health: READY once every modhub component is active; a malformed configuration value
 * of a core component is refused, reported as DEGRADED with the PID and the field, stops nothing
 * else, and heals once the value is corrected.
 */
@ExtendWith({BundleContextExtension.class, ServiceExtension.class})
class HealthTest {
    static final String LOG_PID = "org.modhub.core.log";
    static final String LOG_COMPONENT = "org.modhub.core.internal.log.ConsoleLog";

    @InjectBundleContext
    BundleContext context;
    @InjectService(timeout = 30_000)
    HubHealth health;
    @InjectService(timeout = 30_000)
    ConfigurationAdmin cm;
    @InjectService(timeout = 30_000)
    Outbox outbox;

    private String describe() {
        return health.overall() + " " + health.components().stream()
                .filter(c -> c.state() != HealthState.UP)
                .map(c -> c.name() + ": " + c.reason()).collect(Collectors.joining("; "));
    }

    @Test
    void hubBecomesReadyAndUp() {
        Await.until("the hub to be READY", Duration.ofSeconds(30), () -> health.readyAfter().isPresent(), this::describe);
        Await.until("health UP", Duration.ofSeconds(30), () -> health.overall() == HealthState.UP, this::describe);
        assertTrue(health.components().stream().anyMatch(c -> c.name().equals("org.modhub.core.internal.outbox.OutboxService")),
                health.components().toString());
        assertTrue(health.components().stream().allMatch(c -> c.state() == HealthState.UP), describe());
    }

    @Test
    void malformedValueIsRefusedReportedAndHealsWhenCorrected() throws Exception {
        Await.until("health UP", Duration.ofSeconds(30), () -> health.overall() == HealthState.UP, this::describe);
        Configuration config = cm.getConfiguration(LOG_PID, "?");
        try {
            Hashtable<String, Object> props = new Hashtable<>();
            props.put("level", "LOUD");
            config.update(props);
            // ConfigGuard may report the refused value before DS has re-activated (and failed) the
            // component itself: wait for both
            Await.until("health DEGRADED naming the PID and the field", Duration.ofSeconds(10),
                    () -> health.overall() == HealthState.DEGRADED && describe().contains(LOG_PID)
                            && describe().contains("'level'") && health.components().stream()
                                    .anyMatch(c -> c.name().equals(LOG_COMPONENT) && c.state() == HealthState.DEGRADED),
                    this::describe);
            // the component itself is refused too (DS re-activates it with the new value, asynchronously)
            Await.until("the console log component refused", Duration.ofSeconds(10),
                    () -> health.components().stream().anyMatch(c -> c.name().equals(LOG_COMPONENT)
                            && c.state() == HealthState.DEGRADED && c.reason().contains("'level'")),
                    this::describe);
            // nothing else stops: every bundle is still active and the outbox still takes messages
            for (Bundle b : context.getBundles()) {
                if (b.getHeaders("").get("Fragment-Host") == null) {
                    assertEquals(Bundle.ACTIVE, b.getState(), b.getSymbolicName());
                }
            }
            outbox.enqueue(OutboundMessage.of("itest/health", new byte[] {1}));

            props.put("level", "WARN");
            config.update(props);
            Await.until("health UP again after the value was corrected", Duration.ofSeconds(10),
                    () -> health.overall() == HealthState.UP, this::describe);
        } finally {
            config.delete();
        }
        Await.until("health UP", Duration.ofSeconds(10), () -> health.overall() == HealthState.UP, this::describe);
    }
}
