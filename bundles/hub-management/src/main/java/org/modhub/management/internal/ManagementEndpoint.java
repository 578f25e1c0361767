package org.modhub.management.internal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.Map;
import org.modhub.api.health.HubHealth;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The hub's local management endpoint: {@code GET /health} as JSON over HTTP, on loopback by default.
 *
 * <p>It uses the JDK's {@code com.sun.net.httpserver.HttpServer} rather than Jetty (or the OSGi HTTP
 * whiteboard): one endpoint does not justify a servlet container, and the JDK server adds no bundle,
 * about no start-up time and little heap, which matters on a hub that runs with {@code -Xmx64m}.
 * The bundle imports {@code com.sun.net.httpserver}; the framework must export it
 * ({@code org.osgi.framework.system.packages.extra}, {@code -runsystempackages} in a bndrun).
 *
 * <p>Responses: 200/503 for {@code /health}, 404 for any other path, 405 for any method but GET,
 * 413 for a request body over 8 KiB, 500 for anything unexpected. Every response is JSON; none
 * carries a stack trace.
 */
@Component(immediate = true, configurationPid = ManagementEndpoint.PID)
@Designate(ocd = ManagementEndpoint.Config.class)
public class ManagementEndpoint {

    static final String PID = "org.modhub.management";
    static final int MAX_BODY_BYTES = 8 * 1024;
    static final int THREADS = 2;
    private static final String LOG_PREFIX = "[org.modhub.management] ";

    @ObjectClassDefinition(id = PID, name = "modhub management endpoint",
            description = "Local HTTP endpoint serving GET /health as JSON.")
    public @interface Config {
        @AttributeDefinition(name = "Host", description = "Address to listen on. Must be a loopback "
                + "address unless allowNonLoopback is true.")
        String host() default "127.0.0.1";

        @AttributeDefinition(name = "Port", min = "1", max = "65535", description = "TCP port to listen on.")
        int port() default 8040;

        @AttributeDefinition(name = "Allow non-loopback", description = "Serve on an address other "
                + "than loopback (the endpoint has no authentication: expose it with care).")
        boolean allowNonLoopback() default false;
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile HubHealth health;

    private HttpServer server;
    private ExecutorService executor;

    /**
     * Framework property giving the port while the hub has no configuration for this PID: lets a
     * test or a second hub on the same machine run without touching the stored configuration.
     */
    static final String PORT_PROPERTY = "modhub.management.port";

    @Activate
    void activate(BundleContext context, Config config, Map<String, Object> properties) throws IOException {
        int port = config.port();
        String override = context.getProperty(PORT_PROPERTY);
        boolean configured = properties.containsKey("service.pid");
        if (!configured && override != null && !override.isBlank()) {
            try {
                port = Integer.parseInt(override.trim());
            } catch (NumberFormatException e) {
                String msg = "framework property " + PORT_PROPERTY + ": '" + override + "' is not a port number";
                System.err.println(LOG_PREFIX + "ERROR " + msg);
                throw new IllegalArgumentException(msg, e);
            }
        }
        start(config, port);
    }

    /** Starts with the configured port (for tests outside a framework). */
    void start(Config config) throws IOException {
        start(config, config.port());
    }

    private void start(Config config, int port) throws IOException {
        EndpointSettings settings;
        try {
            settings = EndpointSettings.validate(config.host(), port, config.allowNonLoopback());
        } catch (EndpointSettings.InvalidConfigurationException e) {
            // One line for the operator; the exception keeps the component from activating.
            System.err.println(LOG_PREFIX + "ERROR " + e.getMessage());
            throw e;
        }
        InetSocketAddress address = settings.address();
        try {
            server = HttpServer.create(address, 16);
        } catch (IOException e) {
            System.err.println(LOG_PREFIX + "ERROR cannot listen on " + hostAndPort(address) + ": " + e.getMessage());
            throw e;
        }
        executor = Executors.newFixedThreadPool(THREADS, new DaemonThreads());
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
        System.out.println(LOG_PREFIX + "management endpoint on http://" + hostAndPort(boundAddress()) + "/health");
    }

    @Deactivate
    void deactivate() {
        HttpServer s = server;
        server = null;
        if (s != null) {
            s.stop(0);
        }
        ExecutorService e = executor;
        executor = null;
        if (e != null) {
            e.shutdownNow();
            try {
                e.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The address actually bound (for tests and the start-up line). */
    InetSocketAddress boundAddress() {
        HttpServer s = server;
        return s == null ? null : s.getAddress();
    }

    void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            int status;
            String body;
            try {
                if (!consumeBody(exchange)) {
                    status = 413;
                    body = Json.error(413, "request body larger than " + MAX_BODY_BYTES + " bytes");
                    exchange.getResponseHeaders().set("Connection", "close");
                } else if (!"/health".equals(exchange.getRequestURI().getPath())) {
                    status = 404;
                    body = Json.error(404, "not found");
                } else if (!"GET".equals(exchange.getRequestMethod())) {
                    status = 405;
                    body = Json.error(405, "method not allowed");
                    exchange.getResponseHeaders().set("Allow", "GET");
                } else {
                    Json.HealthResponse r = Json.health(health);
                    status = r.status();
                    body = r.body();
                }
            } catch (RuntimeException | IOException e) {
                // Never a stack trace in a response; the class name is enough to start looking.
                System.err.println(LOG_PREFIX + "ERROR " + exchange.getRequestMethod() + " "
                        + exchange.getRequestURI().getPath() + " failed: " + e);
                status = 500;
                body = Json.error(500, "internal error");
            }
            send(exchange, status, body);
        }
    }

    /**
     * Reads and discards the request body, at most {@value #MAX_BODY_BYTES} bytes.
     *
     * @return false when the body is larger (by Content-Length or by what arrives)
     */
    private static boolean consumeBody(HttpExchange exchange) throws IOException {
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > MAX_BODY_BYTES) {
                    return false;
                }
            } catch (NumberFormatException e) {
                return false;
            }
        }
        InputStream in = exchange.getRequestBody();
        byte[] buffer = new byte[1024];
        long total = 0;
        int n;
        while ((n = in.read(buffer)) > 0) {
            total += n;
            if (total > MAX_BODY_BYTES) {
                return false;
            }
        }
        return true;
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        if ("HEAD".equals(exchange.getRequestMethod())) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String hostAndPort(InetSocketAddress a) {
        if (a == null) {
            return "?";
        }
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    private static final class DaemonThreads implements java.util.concurrent.ThreadFactory {
        private final AtomicInteger count = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "modhub-management-http-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    }
}
