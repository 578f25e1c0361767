package org.modhub.ota.internal;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.modhub.api.messaging.OutboundMessage;
import org.modhub.api.messaging.Outbox;

/**
 * DEPLOY-V2 NOTIFY messages, queued in the durable outbox (so a result reached before a restart or a
 * WAN outage still arrives) on the application topic
 * {@code DEPLOY-V2/NOTIFY/{requester.client.id}/{download|install|uninstall}}, body = the
 * notification's metrics as a flat JSON object ({@code job.id}, {@code dp.<kind>.progress},
 * {@code dp.<kind>.status}, {@code dp.<kind>.error.message}, plus {@code dp.ota.result},
 * {@code dp.lwm2m.result}, {@code dp.running.set}).
 */
final class Notifier {
    static final String APP = "DEPLOY-V2";
    private final AtomicLong seq = new AtomicLong(System.currentTimeMillis());

    static Map<String, Object> metrics(String kind, long job, int progress, OtaResult result, String error) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("job.id", job);
        m.put("dp." + kind + ".progress", progress);
        m.put("dp." + kind + ".status", result.kuraStatus());
        if (error != null && !error.isEmpty()) {
            m.put("dp." + kind + ".error.message", error);
        }
        m.put("dp.ota.result", result.name());
        m.put("dp.lwm2m.result", result.lwm2m());
        return m;
    }

    OutboundMessage message(String requester, String kind, long job, Map<String, Object> metrics) {
        String who = requester == null || requester.isBlank() ? "unknown" : requester.replaceAll("[/+#]", "_");
        String id = "ota-" + job + "-" + kind + "-" + seq.incrementAndGet();
        return new OutboundMessage(id, APP + "/NOTIFY/" + who + "/" + kind, 2, 1, Instant.now(),
                json(metrics).getBytes(StandardCharsets.UTF_8));
    }

    void send(Outbox outbox, String requester, String kind, long job, Map<String, Object> metrics) {
        if (outbox != null) {
            outbox.enqueue(message(requester, kind, job, metrics));
        }
    }

    static String json(Map<String, Object> m) {
        StringBuilder sb = new StringBuilder("{");
        m.forEach((k, v) -> {
            if (sb.length() > 1) {
                sb.append(',');
            }
            sb.append(quote(k)).append(':');
            if (v instanceof Number || v instanceof Boolean) {
                sb.append(v);
            } else {
                sb.append(quote(String.valueOf(v)));
            }
        });
        return sb.append('}').toString();
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
