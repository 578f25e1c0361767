package org.modhub.bridge.mqttjson.internal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.modhub.api.bridge.BridgeAccessException;
import org.modhub.api.bridge.MeteringBridge;
import org.modhub.api.common.Eui64;

/**
 * The bridge's read API, JSON over HTTP (JDK server), loopback by default:
 * <pre>
 * GET /meters                                  the meters this bridge may read
 * GET /meters/{id}/registers                   current registers
 * GET /meters/{id}/demand                      instantaneous demand
 * GET /meters/{id}/tariff                      tariff registers
 * GET /meters/{id}/half-hourly[?from=&amp;to=]     half-hourly history (ISO-8601 instants; default: the last 24 h)
 * GET /meters/{id}/gas-mirror                  gas mirror values with their age
 * </pre>
 * Refusals by the hub map to 403 (not granted, range not granted, not a bridge), 429 with
 * {@code Retry-After} (rate), 503 (unavailable); bad ids or instants 400; other paths 404; methods
 * other than GET 405; a body over 1 KiB 413. Every error is JSON without a stack trace.
 */
final class BridgeHttpApi {
    static final int MAX_BODY_BYTES = 1024;

    private final MeteringBridge bridge;
    private final Clock clock;
    private HttpServer server;
    private ExecutorService executor;

    BridgeHttpApi(MeteringBridge bridge, Clock clock) {
        this.bridge = bridge;
        this.clock = clock;
    }

    void start(InetSocketAddress address) throws IOException {
        server = HttpServer.create(address, 8);
        executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "modhub-bridge-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    InetSocketAddress address() {
        return server == null ? null : server.getAddress();
    }

    void stop() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
        if (executor != null) {
            executor.shutdownNow();
            executor = null;
        }
    }

    void handle(HttpExchange ex) throws IOException {
        try (ex) {
            int status = 200;
            String body;
            try {
                if (!consumeBody(ex)) {
                    status = 413;
                    body = BridgeJson.error(413, "TOO_LARGE", "request body larger than " + MAX_BODY_BYTES + " bytes");
                } else if (!"GET".equals(ex.getRequestMethod())) {
                    status = 405;
                    ex.getResponseHeaders().set("Allow", "GET");
                    body = BridgeJson.error(405, "METHOD", "a bridge is read-only: only GET");
                } else {
                    body = route(ex.getRequestURI().getRawPath(), ex.getRequestURI().getRawQuery());
                    if (body == null) {
                        status = 404;
                        body = BridgeJson.error(404, "NOT_FOUND", "not found");
                    }
                }
            } catch (BridgeAccessException e) {
                status = switch (e.reason()) {
                    case RATE_LIMITED -> 429;
                    case UNAVAILABLE -> 503;
                    default -> 403;
                };
                if (e.retryAfterMillis() > 0) {
                    ex.getResponseHeaders().set("Retry-After", Long.toString((e.retryAfterMillis() + 999) / 1000));
                }
                body = BridgeJson.error(status, e.reason().name(), e.getMessage());
            } catch (IllegalArgumentException e) {
                status = 400;
                body = BridgeJson.error(400, "BAD_REQUEST", e.getMessage());
            } catch (RuntimeException | IOException e) {
                System.err.println("[org.modhub.bridge-mqtt-json] ERROR " + ex.getRequestURI().getPath() + ": " + e);
                status = 500;
                body = BridgeJson.error(500, "INTERNAL", "internal error");
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
            ex.getResponseHeaders().set("Cache-Control", "no-store");
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** The JSON for a path, or null for 404. */
    private String route(String path, String query) throws BridgeAccessException {
        if ("/meters".equals(path)) {
            return BridgeJson.meters(bridge.meters());
        }
        String[] p = path.split("/", -1);
        if (p.length != 4 || !p[0].isEmpty() || !"meters".equals(p[1])) {
            return null;
        }
        Eui64 meter;
        try {
            meter = Eui64.parse(URLDecoder.decode(p[2], StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad meter id: " + e.getMessage());
        }
        return switch (p[3]) {
            case "registers" -> BridgeJson.readings(meter, bridge.currentRegisters(meter));
            case "demand" -> BridgeJson.readings(meter, bridge.demand(meter));
            case "tariff" -> BridgeJson.readings(meter, bridge.tariffRegisters(meter));
            case "gas-mirror" -> BridgeJson.mirror(meter, bridge.gasMirror(meter), clock.instant());
            case "half-hourly" -> {
                Map<String, String> q = query(query);
                Instant to = q.containsKey("to") ? instant(q.get("to"), "to") : clock.instant();
                Instant from = q.containsKey("from") ? instant(q.get("from"), "from") : to.minus(Duration.ofHours(24));
                yield BridgeJson.samples(meter, bridge.halfHourly(meter, from, to));
            }
            default -> null;
        };
    }

    private static Instant instant(String v, String name) {
        try {
            return Instant.parse(v);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + name + "' is not an ISO-8601 instant: '" + v + "'");
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        if (raw.length() > 512) {
            throw new IllegalArgumentException("query longer than 512 characters");
        }
        for (String kv : raw.split("&")) {
            int i = kv.indexOf('=');
            String k = URLDecoder.decode(i < 0 ? kv : kv.substring(0, i), StandardCharsets.UTF_8);
            String v = i < 0 ? "" : URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8);
            out.put(k, v);
        }
        return out;
    }

    private static boolean consumeBody(HttpExchange ex) throws IOException {
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > MAX_BODY_BYTES) {
                    return false;
                }
            } catch (NumberFormatException e) {
                return false;
            }
        }
        InputStream in = ex.getRequestBody();
        byte[] b = new byte[512];
        long total = 0;
        int n;
        while ((n = in.read(b)) > 0) {
            total += n;
            if (total > MAX_BODY_BYTES) {
                return false;
            }
        }
        return true;
    }
}
