package org.modhub.management.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.modhub.api.health.ComponentHealth;
import org.modhub.api.health.HealthState;
import org.modhub.api.health.HubHealth;

/** Runs the endpoint over real HTTP on loopback, outside a framework. */
class ManagementEndpointTest {

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private ManagementEndpoint endpoint;
    private String base;

    static ManagementEndpoint.Config config(String host, int port, boolean allowNonLoopback) {
        Map<String, Object> values = Map.of("host", host, "port", port, "allowNonLoopback", allowNonLoopback);
        return (ManagementEndpoint.Config) Proxy.newProxyInstance(ManagementEndpoint.Config.class.getClassLoader(),
                new Class<?>[] {ManagementEndpoint.Config.class}, (proxy, method, args) -> {
                    if (values.containsKey(method.getName())) {
                        return values.get(method.getName());
                    }
                    if (method.getName().equals("annotationType")) {
                        return ManagementEndpoint.Config.class;
                    }
                    return method.getDefaultValue();
                });
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @BeforeEach
    void start() throws IOException {
        endpoint = new ManagementEndpoint();
        endpoint.start(config("127.0.0.1", freePort(), false));
        base = "http://127.0.0.1:" + endpoint.boundAddress().getPort();
    }

    @AfterEach
    void stop() {
        endpoint.deactivate();
        assertNull(endpoint.boundAddress());
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return client.send(b.timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    @Test
    void healthWithoutHubHealthIsStarting503() throws Exception {
        HttpResponse<String> r = get("/health");
        assertEquals(503, r.statusCode());
        assertEquals("{\"state\":\"STARTING\",\"readyMs\":null,\"components\":[]}", r.body());
        assertEquals("application/json; charset=utf-8", r.headers().firstValue("Content-Type").orElse(""));
    }

    @Test
    void healthFollowsTheDynamicReference() throws Exception {
        endpoint.health = JsonTest.health(HealthState.UP, Duration.ofMillis(812), ComponentHealth.up("core"));
        HttpResponse<String> r = get("/health");
        assertEquals(200, r.statusCode());
        assertEquals("{\"state\":\"UP\",\"readyMs\":812,\"components\":[{\"name\":\"core\",\"state\":\"UP\",\"reason\":\"\"}]}",
                r.body());
        endpoint.health = null;
        assertEquals(503, get("/health").statusCode());
    }

    @Test
    void failingHubHealthGives500WithoutStackTrace() throws Exception {
        endpoint.health = new HubHealth() {
            @Override
            public HealthState overall() {
                throw new IllegalStateException("boom at org.modhub.Secret");
            }

            @Override
            public java.util.List<ComponentHealth> components() {
                return java.util.List.of();
            }

            @Override
            public java.util.Optional<Duration> readyAfter() {
                return java.util.Optional.empty();
            }
        };
        HttpResponse<String> r = get("/health");
        assertEquals(500, r.statusCode());
        assertEquals("{\"status\":500,\"error\":\"internal error\"}", r.body());
    }

    @Test
    void otherPathsAre404() throws Exception {
        for (String path : new String[] {"/", "/healthz", "/health/x", "/../etc/passwd"}) {
            HttpResponse<String> r = get(path);
            assertEquals(404, r.statusCode(), path);
            assertEquals("{\"status\":404,\"error\":\"not found\"}", r.body());
        }
    }

    @Test
    void queryStringIsIgnored() throws Exception {
        assertEquals(503, get("/health?verbose=1").statusCode());
    }

    @Test
    void nonGetIs405() throws Exception {
        for (String method : new String[] {"POST", "PUT", "DELETE", "PATCH"}) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/health"))
                    .method(method, HttpRequest.BodyPublishers.ofString("{}")));
            assertEquals(405, r.statusCode(), method);
            assertEquals("GET", r.headers().firstValue("Allow").orElse(""));
            assertEquals("{\"status\":405,\"error\":\"method not allowed\"}", r.body());
        }
    }

    @Test
    void bodyOver8KiBIs413() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/health"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[8 * 1024 + 1])));
        assertEquals(413, r.statusCode());
        assertTrue(r.body().startsWith("{\"status\":413,"), r.body());
        // 8 KiB exactly is accepted (and then refused as a POST).
        r = send(HttpRequest.newBuilder(URI.create(base + "/health"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[8 * 1024])));
        assertEquals(405, r.statusCode());
        // The server is still serving afterwards.
        assertEquals(503, get("/health").statusCode());
    }

    @Test
    void secondEndpointOnSamePortFailsToActivate() {
        ManagementEndpoint other = new ManagementEndpoint();
        int port = endpoint.boundAddress().getPort();
        assertThrows(IOException.class, () -> other.start(config("127.0.0.1", port, false)));
        assertNull(other.boundAddress());
    }

    @Test
    void invalidConfigurationDoesNotActivate() {
        ManagementEndpoint other = new ManagementEndpoint();
        var e = assertThrows(EndpointSettings.InvalidConfigurationException.class,
                () -> other.start(config("127.0.0.1", 99999, false)));
        assertEquals("configuration org.modhub.management: field 'port': 99999 is out of 1..65535", e.getMessage());
        e = assertThrows(EndpointSettings.InvalidConfigurationException.class,
                () -> other.start(config("10.1.2.3", 8040, false)));
        assertEquals("host", e.field());
        assertNull(other.boundAddress());
    }

    @Test
    void serverThreadsAreDaemons() throws Exception {
        get("/health");
        boolean found = false;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("modhub-management-http-")) {
                found = true;
                assertTrue(t.isDaemon(), t.getName());
            }
        }
        assertTrue(found);
        assertFalse(base.isEmpty());
    }
}
