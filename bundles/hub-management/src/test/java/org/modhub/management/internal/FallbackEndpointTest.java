package org.modhub.management.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.modhub.api.health.ComponentHealth;
import org.modhub.api.health.HealthState;
import org.modhub.api.health.HubHealth;

/** The fallback /health endpoint (no ConfigurationAdmin, e.g. a corrupt store) keeps the /health contract. */
class FallbackEndpointTest {
    @Test
    void servesHealthOnlyWithTheSameContract() throws Exception {
        HubHealth[] health = {null};
        FallbackEndpoint f = new FallbackEndpoint(() -> health[0]);
        f.start(new InetSocketAddress("127.0.0.1", 0));
        try {
            String base = "http://127.0.0.1:" + f.boundAddress().getPort();
            HttpClient c = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> r = c.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(503, r.statusCode());
            assertEquals("{\"state\":\"STARTING\",\"readyMs\":null,\"components\":[]}", r.body());
            health[0] = JsonTest.health(HealthState.DEGRADED, null, ComponentHealth.degraded("store", "STORE CORRUPT: x"));
            r = c.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(503, r.statusCode());
            assertEquals("{\"state\":\"DEGRADED\",\"readyMs\":null,\"components\":[{\"name\":\"store\",\"state\":\"DEGRADED\","
                    + "\"reason\":\"STORE CORRUPT: x\"}]}", r.body());
            assertEquals(404, c.send(HttpRequest.newBuilder(URI.create(base + "/")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(405, c.send(HttpRequest.newBuilder(URI.create(base + "/health"))
                    .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(413, c.send(HttpRequest.newBuilder(URI.create(base + "/health"))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[9000])).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        } finally {
            f.stop();
        }
        assertNull(f.boundAddress());
    }
}
