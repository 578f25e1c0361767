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
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.modhub.api.health.ComponentHealth;
import org.modhub.api.health.HealthState;
import org.modhub.api.health.HubHealth;

/** Runs the endpoint over real HTTP on loopback, outside a framework. */
class ManagementEndpointTest {

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Server server;
    private HealthServlet health;
    private StatusServlet status;
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
    void start() throws Exception {
        health = new HealthServlet();
        status = new StatusServlet();
        server = new Server(new org.eclipse.jetty.util.thread.QueuedThreadPool(8, 2));
        HttpConfiguration http = new HttpConfiguration();
        http.setRequestHeaderSize(ManagementEndpoint.MAX_BODY_BYTES);
        http.setSendServerVersion(false);
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        context.addServlet(new ServletHolder(health), "/health");
        context.addServlet(new ServletHolder(health), "/health/*");
        context.addServlet(new ServletHolder(status), "/");
        server.setHandler(context);
        server.start();
        base = "http://127.0.0.1:" + connector.getLocalPort();
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
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
        // Jetty writes the media type without the optional space: application/json;charset=utf-8
        assertEquals("application/json;charset=utf-8", r.headers().firstValue("Content-Type").orElse("").replace("; ", ";"));
    }

    @Test
    void healthFollowsTheDynamicReference() throws Exception {
        health.health = JsonTest.health(HealthState.UP, Duration.ofMillis(812), ComponentHealth.up("core"));
        HttpResponse<String> r = get("/health");
        assertEquals(200, r.statusCode());
        assertEquals("{\"state\":\"UP\",\"readyMs\":812,\"components\":[{\"name\":\"core\",\"state\":\"UP\",\"reason\":\"\"}]}",
                r.body());
        health.health = null;
        assertEquals(503, get("/health").statusCode());
    }

    @Test
    void failingHubHealthGives500WithoutStackTrace() throws Exception {
        health.health = new HubHealth() {
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
        for (String path : new String[] {"/healthz", "/health/x", "/../etc/passwd", "/nope", "/api", "/api/status/x", "/web/index.html"}) {
            HttpResponse<String> r = get(path);
            assertTrue(r.statusCode() == 404 || r.statusCode() == 400, path + " " + r.statusCode());
            if (r.statusCode() == 404) {
                assertEquals("{\"status\":404,\"error\":\"not found\"}", r.body());
            }
        }
    }

    @Test
    void statusPageScriptAndApiAreServed() throws Exception {
        HttpResponse<String> page = get("/");
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        assertTrue(page.body().contains("<script src=\"/status.js\"></script>"), page.body());
        assertTrue(page.body().contains("id=\"chart\""));
        assertEquals(200, get("/status.js").statusCode());
        assertEquals(200, get("/status.css").statusCode());
        HttpResponse<String> api = get("/api/status");
        assertEquals(200, api.statusCode());
        assertTrue(api.body().startsWith("{\"time\":"), api.body());
        assertTrue(api.body().contains("\"health\":{\"state\":\"STARTING\",\"readyMs\":null}"), api.body());
        assertTrue(api.body().contains("\"chart\":{\"meter\":null,\"unit\":\"\",\"samples\":[]}"), api.body());
        HttpResponse<String> post = send(HttpRequest.newBuilder(URI.create(base + "/api/status"))
                .POST(HttpRequest.BodyPublishers.ofString("x")));
        assertEquals(405, post.statusCode());
    }

    @Test
    void oversizedHeaderIs431AndMalformedRequestIs400WithoutStackTrace() throws Exception {
        int port = Integer.parseInt(base.substring(base.lastIndexOf(':') + 1));
        String big = "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n";
        String reply = raw(port, big);
        assertTrue(reply.startsWith("HTTP/1.1 431"), reply);
        for (String bad : new String[] {"GARBAGE\r\n\r\n", "GET /he alth HTTP/1.1\r\nHost: x\r\n\r\n",
                "\u0001\u0002\u0003\r\n\r\n"}) {
            reply = raw(port, bad);
            assertTrue(reply.matches("(?s)HTTP/1\\.1 4\\d\\d .*"), bad + " -> " + reply);
            assertFalse(reply.contains("at org."), reply);
            assertFalse(reply.contains("Exception"), reply);
        }
        // an unknown protocol version is not malformed: Jetty answers 505, also without a stack trace
        reply = raw(port, "GET /health HTTP/9.9\r\n\r\n");
        assertTrue(reply.startsWith("HTTP/1.1 505"), reply);
        assertFalse(reply.contains("Exception"), reply);
        assertEquals(503, get("/health").statusCode(), "still serving");
    }

    private static String raw(int port, String request) throws IOException {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            byte[] b = new byte[4096];
            int n;
            try {
                while ((n = s.getInputStream().read(b)) > 0) {
                    out.write(b, 0, n);
                }
            } catch (java.net.SocketTimeoutException | java.net.SocketException e) {
                // the server may keep the connection or reset it after the reply
            }
            return out.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
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

}
