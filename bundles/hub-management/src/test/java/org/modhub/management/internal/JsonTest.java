package org.modhub.management.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.modhub.api.health.ComponentHealth;
import org.modhub.api.health.HealthState;
import org.modhub.api.health.HubHealth;

class JsonTest {

    static HubHealth health(HealthState state, Duration ready, ComponentHealth... components) {
        return new HubHealth() {
            @Override
            public HealthState overall() {
                return state;
            }

            @Override
            public List<ComponentHealth> components() {
                return List.of(components);
            }

            @Override
            public Optional<Duration> readyAfter() {
                return Optional.ofNullable(ready);
            }
        };
    }

    @Test
    void noHealthServiceIsStarting503() {
        Json.HealthResponse r = Json.health(null);
        assertEquals(503, r.status());
        assertEquals("{\"state\":\"STARTING\",\"readyMs\":null,\"components\":[]}", r.body());
    }

    @Test
    void upIs200WithReadyMsAndComponents() {
        Json.HealthResponse r = Json.health(health(HealthState.UP, Duration.ofMillis(1234),
                ComponentHealth.up("org.modhub.core.outbox"), ComponentHealth.up("org.modhub.core.store")));
        assertEquals(200, r.status());
        assertEquals("{\"state\":\"UP\",\"readyMs\":1234,\"components\":["
                + "{\"name\":\"org.modhub.core.outbox\",\"state\":\"UP\",\"reason\":\"\"},"
                + "{\"name\":\"org.modhub.core.store\",\"state\":\"UP\",\"reason\":\"\"}]}", r.body());
    }

    @Test
    void degradedIs503WithReason() {
        Json.HealthResponse r = Json.health(health(HealthState.DEGRADED, Duration.ofMillis(900),
                ComponentHealth.degraded("wan", "link DOWN")));
        assertEquals(503, r.status());
        assertEquals("{\"state\":\"DEGRADED\",\"readyMs\":900,\"components\":["
                + "{\"name\":\"wan\",\"state\":\"DEGRADED\",\"reason\":\"link DOWN\"}]}", r.body());
    }

    @Test
    void startingBeforeReadyHasNullReadyMs() {
        Json.HealthResponse r = Json.health(health(HealthState.STARTING, null));
        assertEquals(503, r.status());
        assertEquals("{\"state\":\"STARTING\",\"readyMs\":null,\"components\":[]}", r.body());
    }

    @Test
    void escapesStrings() {
        assertEquals("\"a\\\"b\\\\c\"", str("a\"b\\c"));
        assertEquals("\"\\n\\r\\t\\b\\f\"", str("\n\r\t\b\f"));
        assertEquals("\"\\u0000\\u001f\\u007f\"", str("\u0000\u001f\u007f"));
        assertEquals("\"\\u2028\\u2029\"", str("\u2028\u2029"));
        assertEquals("\"caf\u00e9 \u20ac \uD83D\uDE00 </script>\"", str("caf\u00e9 \u20ac \uD83D\uDE00 </script>"));
        assertEquals("\"x\\ud83dy\"", str("x\uD83Dy"));
        assertEquals("\"\"", str(null));
    }

    @Test
    void escapesComponentFields() {
        String body = Json.health(health(HealthState.DEGRADED, null,
                ComponentHealth.degraded("n\"1", "line1\nline2"))).body();
        assertEquals("{\"state\":\"DEGRADED\",\"readyMs\":null,\"components\":["
                + "{\"name\":\"n\\\"1\",\"state\":\"DEGRADED\",\"reason\":\"line1\\nline2\"}]}", body);
    }

    @Test
    void errorBody() {
        assertEquals("{\"status\":404,\"error\":\"not found\"}", Json.error(404, "not found"));
    }

    private static String str(String s) {
        return Json.string(new StringBuilder(), s).toString();
    }
}
