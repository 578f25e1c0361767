package org.modhub.management.internal;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Validated settings of the management endpoint. {@link #validate} refuses what must not start: a
 * port outside 1..65535, an empty or unresolvable host, or a host that is not a loopback address
 * while {@code allowNonLoopback} is false. The message names the PID and the field, so that one log
 * line tells an operator what to fix.
 */
record EndpointSettings(InetSocketAddress address) {

    static final int MIN_PORT = 1;
    static final int MAX_PORT = 65535;

    /** Thrown for a configuration the endpoint refuses; the message is the one log line. */
    static final class InvalidConfigurationException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final String field;

        InvalidConfigurationException(String field, String problem) {
            super("configuration " + ManagementEndpoint.PID + ": field '" + field + "': " + problem);
            this.field = field;
        }

        String field() {
            return field;
        }
    }

    static EndpointSettings validate(String host, int port, boolean allowNonLoopback) {
        if (port < MIN_PORT || port > MAX_PORT) {
            throw new InvalidConfigurationException("port", port + " is out of " + MIN_PORT + ".." + MAX_PORT);
        }
        String h = host == null ? "" : host.trim();
        if (h.isEmpty()) {
            throw new InvalidConfigurationException("host", "is empty");
        }
        InetAddress address;
        try {
            // A literal address is parsed without a lookup; a name such as "localhost" is resolved.
            address = InetAddress.getByName(h);
        } catch (UnknownHostException | SecurityException e) {
            throw new InvalidConfigurationException("host", "'" + h + "' does not resolve");
        }
        if (!address.isLoopbackAddress() && !allowNonLoopback) {
            throw new InvalidConfigurationException("host", "'" + h + "' is not a loopback address"
                    + " (set allowNonLoopback=true to serve on it)");
        }
        return new EndpointSettings(new InetSocketAddress(address, port));
    }
}
