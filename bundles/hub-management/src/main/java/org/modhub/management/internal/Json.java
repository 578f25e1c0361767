package org.modhub.management.internal;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.modhub.api.health.ComponentHealth;
import org.modhub.api.health.HealthState;
import org.modhub.api.health.HubHealth;

/** Hand-written JSON for the management endpoint (no JSON library: a few fixed shapes only). */
final class Json {

    private Json() {
    }

    /** The body of {@code GET /health} and the HTTP status that goes with it. */
    record HealthResponse(int status, String body) {
    }

    /**
     * Renders the hub's health. Without a {@link HubHealth} service the hub is STARTING. 200 only
     * when UP, 503 otherwise.
     */
    static HealthResponse health(HubHealth health) {
        if (health == null) {
            return new HealthResponse(503, health(HealthState.STARTING, Optional.empty(), List.of()));
        }
        HealthState state = health.overall();
        if (state == null) {
            state = HealthState.STARTING;
        }
        List<ComponentHealth> components = health.components();
        String body = health(state, health.readyAfter(), components == null ? List.of() : components);
        return new HealthResponse(state == HealthState.UP ? 200 : 503, body);
    }

    static String health(HealthState state, Optional<Duration> readyAfter, List<ComponentHealth> components) {
        StringBuilder sb = new StringBuilder(64 + 64 * components.size());
        sb.append("{\"state\":");
        string(sb, state.name());
        sb.append(",\"readyMs\":");
        if (readyAfter != null && readyAfter.isPresent()) {
            sb.append(readyAfter.get().toMillis());
        } else {
            sb.append("null");
        }
        sb.append(",\"components\":[");
        boolean first = true;
        for (ComponentHealth c : components) {
            if (c == null) {
                continue;
            }
            if (!first) {
                sb.append(',');
            }
            first = false;
            sb.append("{\"name\":");
            string(sb, c.name());
            sb.append(",\"state\":");
            string(sb, c.state().name());
            sb.append(",\"reason\":");
            string(sb, c.reason());
            sb.append('}');
        }
        sb.append("]}");
        return sb.toString();
    }

    /** {@code {"status":404,"error":"not found"}} */
    static String error(int status, String message) {
        StringBuilder sb = new StringBuilder(48);
        sb.append("{\"status\":").append(status).append(",\"error\":");
        string(sb, message);
        sb.append('}');
        return sb.toString();
    }

    /** Appends {@code s} as a JSON string literal (RFC 8259), quotes included. */
    static StringBuilder string(StringBuilder sb, String s) {
        sb.append('"');
        if (s != null) {
            for (int i = 0; i < s.length(); i++) {
                char ch = s.charAt(i);
                switch (ch) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    case '\b' -> sb.append("\\b");
                    case '\f' -> sb.append("\\f");
                    default -> {
                        // Control characters must be escaped; U+2028/U+2029 and DEL are escaped so
                        // the output is also safe to embed in JavaScript and to print on a terminal.
                        if (ch < 0x20 || ch == 0x7f || ch == '\u2028' || ch == '\u2029') {
                            unicodeEscape(sb, ch);
                        } else if (Character.isSurrogate(ch)) {
                            // Keep well-formed pairs; escape a lone surrogate so the body stays valid UTF-8.
                            if (Character.isHighSurrogate(ch) && i + 1 < s.length()
                                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                                sb.append(ch).append(s.charAt(++i));
                            } else {
                                unicodeEscape(sb, ch);
                            }
                        } else {
                            sb.append(ch);
                        }
                    }
                }
            }
        }
        return sb.append('"');
    }

    private static void unicodeEscape(StringBuilder sb, char ch) {
        sb.append("\\u");
        String hex = Integer.toHexString(ch);
        for (int pad = hex.length(); pad < 4; pad++) {
            sb.append('0');
        }
        sb.append(hex);
    }
}
