package org.modhub.headend.kura.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Set;

/**
 * The validated settings of a session. {@link #from} refuses a bad value with an
 * {@link IllegalArgumentException} whose message names the PID and the field.
 */
record KuraSettings(String brokerUri, String account, String clientId, String username, String password,
        int keepAliveSeconds, int connectTimeoutSeconds, int qos, int maxInflight, long backoffMinMs,
        long backoffMaxMs, Set<String> technologies, Set<String> excludedTechnologies, int preference,
        int maxRequestBytes, int requestTimeoutSeconds, String modelName, String displayName, String trustStorePath,
        String trustStorePassword, String keyStorePath, String keyStorePassword, String keyAlias, boolean useHubIdentity) {

    /** Whether a broker is configured at all; without one the session stays off. */
    boolean enabled() {
        return !brokerUri.isEmpty();
    }

    boolean tls() {
        return brokerUri.startsWith("ssl://");
    }

    /** Whether the session runs over a link of this technology. */
    boolean carriedBy(String technology) {
        if (technology == null || excludedTechnologies.contains(technology)) {
            return false;
        }
        return technologies.isEmpty() || technologies.contains(technology);
    }

    static KuraSettings from(KuraSessionConfig c, String fallbackBroker, String hubId) {
        String pid = KuraSessionComponent.PID;
        String broker = c.brokerUri().isBlank() ? (fallbackBroker == null ? "" : fallbackBroker.trim()) : c.brokerUri().trim();
        if (!broker.isEmpty()) {
            try {
                URI u = new URI(broker);
                if (!("tcp".equals(u.getScheme()) || "ssl".equals(u.getScheme())) || u.getHost() == null || u.getPort() <= 0) {
                    throw refuse(pid, "brokerUri", "'" + broker + "' is not tcp://host:port or ssl://host:port");
                }
            } catch (URISyntaxException e) {
                throw refuse(pid, "brokerUri", "'" + broker + "' is not a URI: " + e.getMessage());
            }
        }
        String account = c.accountName().trim();
        checkLevel(pid, "accountName", account);
        String client = c.clientId().isBlank() ? hexId(hubId) : c.clientId().trim();
        checkLevel(pid, "clientId", client);
        if (client.length() > 23 && !client.matches("[0-9A-Za-z]+")) {
            // MQTT 3.1.1 brokers must accept 1..23 alphanumerics; mosquitto takes longer ids too
            throw refuse(pid, "clientId", "'" + client + "' is longer than 23 characters and not alphanumeric");
        }
        range(pid, "keepAliveSeconds", c.keepAliveSeconds(), 0, 65535);
        range(pid, "connectTimeoutSeconds", c.connectTimeoutSeconds(), 1, 600);
        range(pid, "qos", c.qos(), 0, 2);
        range(pid, "maxInflight", c.maxInflight(), 1, 65535);
        range(pid, "backoffMinMs", c.backoffMinMs(), 10, 3_600_000);
        range(pid, "backoffMaxMs", c.backoffMaxMs(), 10, 86_400_000);
        if (c.backoffMaxMs() < c.backoffMinMs()) {
            throw refuse(pid, "backoffMaxMs", c.backoffMaxMs() + " is below backoffMinMs " + c.backoffMinMs());
        }
        range(pid, "maxRequestBytes", c.maxRequestBytes(), 256, 1 << 20);
        range(pid, "requestTimeoutSeconds", c.requestTimeoutSeconds(), 1, 3600);
        if (!c.trustStorePath().isBlank() || !c.keyStorePath().isBlank()) {
            if (!broker.isEmpty() && !broker.startsWith("ssl://")) {
                throw refuse(pid, c.keyStorePath().isBlank() ? "trustStorePath" : "keyStorePath",
                        "a trust or key store needs an ssl:// brokerUri, not '" + broker + "'");
            }
        }
        if (c.useHubIdentity()) {
            if (!broker.isEmpty() && !broker.startsWith("ssl://")) {
                throw refuse(pid, "useHubIdentity", "the hub's TLS identity needs an ssl:// brokerUri, not '" + broker + "'");
            }
            if (c.trustStorePath().isBlank()) {
                throw refuse(pid, "trustStorePath", "the hub's TLS identity needs the broker's CA in a trust store");
            }
            if (!c.keyStorePath().isBlank()) {
                throw refuse(pid, "keyStorePath", "either a client key store or the hub's TLS identity, not both");
            }
        }
        return new KuraSettings(broker, account, client, c.username(), c._password(), c.keepAliveSeconds(),
                c.connectTimeoutSeconds(), c.qos(), c.maxInflight(), c.backoffMinMs(), c.backoffMaxMs(),
                names(c.technologies()), names(c.excludedTechnologies()), c.headend_preference(), c.maxRequestBytes(),
                c.requestTimeoutSeconds(), c.modelName(), c.displayName().isBlank() ? client : c.displayName(),
                c.trustStorePath().trim(), c._trustStorePassword(), c.keyStorePath().trim(), c._keyStorePassword(),
                c.keyAlias().trim(), c.useHubIdentity());
    }

    private static Set<String> names(String[] values) {
        return values == null ? Set.of() : Set.copyOf(List.of(values).stream().map(String::trim)
                .filter(s -> !s.isEmpty()).toList());
    }

    /** The hub id as 16 hex digits (a valid MQTT client id); "modhub" if none is known. */
    static String hexId(String hubId) {
        if (hubId == null || hubId.isBlank()) {
            return "0000000000000001"; // the router's default hub id 00-00-00-00-00-00-00-01
        }
        return hubId.replaceAll("[-: ]", "").toUpperCase(java.util.Locale.ROOT);
    }

    private static void checkLevel(String pid, String field, String v) {
        if (v.isEmpty() || v.contains("/") || v.contains("+") || v.contains("#") || v.startsWith("$")) {
            throw refuse(pid, field, "'" + v + "' is not a single MQTT topic level");
        }
    }

    private static void range(String pid, String field, long v, long min, long max) {
        if (v < min || v > max) {
            throw refuse(pid, field, v + " out of " + min + ".." + max);
        }
    }

    private static IllegalArgumentException refuse(String pid, String field, String why) {
        return new IllegalArgumentException("configuration " + pid + " field " + field + " refused: " + why);
    }
}
