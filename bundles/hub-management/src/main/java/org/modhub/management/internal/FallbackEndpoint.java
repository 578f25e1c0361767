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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.modhub.api.health.HubHealth;

/**
 * The fallback management endpoint: {@code GET /health} only, on the JDK's HTTP server, for a hub
 * whose ConfigurationAdmin is not available (it keeps its configuration in the hub-core store, so a
 * corrupt store takes it away, and with it the way to start Jetty). An operator then still sees why
 * the hub is DEGRADED. Same JSON contract and error responses as {@link HealthServlet}.
 */
final class FallbackEndpoint {
    static final int THREADS = 1;
    private static final String LOG_PREFIX = "[org.modhub.management] ";
    static final int MAX_BODY_BYTES = ManagementEndpoint.MAX_BODY_BYTES;

    private final Supplier<HubHealth> healthSupplier;
    private HttpServer server;
    private ExecutorService executor;

    FallbackEndpoint(Supplier<HubHealth> health) {
        this.healthSupplier = health;
    }

    void start(InetSocketAddress address) throws IOException {
        server = HttpServer.create(address, 16);
        executor = Executors.newFixedThreadPool(THREADS, new DaemonThreads());
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    InetSocketAddress boundAddress() {
        HttpServer s = server;
        return s == null ? null : s.getAddress();
    }

    void stop() {
        HttpServer s = server;
        server = null;
        if (s != null) {
            s.stop(0);
        }
        ExecutorService e = executor;
        executor = null;
        if (e != null) {
            e.shutdownNow();
        }
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
                    Json.HealthResponse r = Json.health(healthSupplier.get());
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

    private static final class DaemonThreads implements java.util.concurrent.ThreadFactory {
        private final AtomicInteger count = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "modhub-management-fallback-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    }
}
