package org.modhub.mesh.link.internal;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.HexFormat;
import java.util.function.Supplier;

/** The validated settings of the mesh link. */
public record MeshSettings(URI gatewayUri, String bindAddress, String pskIdentity, byte[] pskSecret, int ackTimeoutMs,
        int maxRetransmit, int requestTimeoutMs, int pingTimeoutMs, int keepAliveMs, int reconnectMs, int blockSize,
        int mtu, int maxPayloadBytes, long bandwidthBps, int nstart, int degradedRetransmissionPercent, int preference) {

    public MeshSettings {
        if (gatewayUri == null || !"coaps".equals(gatewayUri.getScheme()) || gatewayUri.getHost() == null
                || gatewayUri.getPort() <= 0) {
            throw new IllegalArgumentException("gatewayUri: must be coaps://host:port: '" + gatewayUri + "'");
        }
        try {
            InetAddress.getByName(bindAddress);
        } catch (UnknownHostException | RuntimeException e) {
            throw new IllegalArgumentException("bindAddress: not an address: '" + bindAddress + "'");
        }
        if (pskIdentity == null || pskIdentity.isBlank() || pskIdentity.length() > 128) {
            throw new IllegalArgumentException("pskIdentity: must have 1..128 characters");
        }
        if (pskSecret == null || pskSecret.length < 8 || pskSecret.length > 64) {
            throw new IllegalArgumentException("pskSecret: must be 8..64 bytes of hex");
        }
        pskSecret = pskSecret.clone();
        range(ackTimeoutMs, 100, 60_000, "ackTimeoutMs");
        range(maxRetransmit, 0, 10, "maxRetransmit");
        range(requestTimeoutMs, 1_000, 600_000, "requestTimeoutMs");
        range(pingTimeoutMs, 500, 300_000, "pingTimeoutMs");
        range(keepAliveMs, 500, 3_600_000, "keepAliveMs");
        range(reconnectMs, 100, 3_600_000, "reconnectMs");
        if (blockSize < 16 || blockSize > 1024 || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("blockSize: must be a power of two in 16..1024: " + blockSize);
        }
        range(mtu, 128, 65_507, "mtu");
        if (mtu < blockSize + 96) {
            throw new IllegalArgumentException("mtu: " + mtu + " leaves no room for a block of " + blockSize
                    + " B with CoAP and DTLS headers (needs blockSize + 96)");
        }
        range(maxPayloadBytes, 1, 1 << 20, "maxPayloadBytes");
        if (bandwidthBps < 1) {
            throw new IllegalArgumentException("bandwidthBps: must be positive: " + bandwidthBps);
        }
        range(nstart, 1, 32, "nstart");
        range(degradedRetransmissionPercent, 1, 100, "degradedRetransmissionPercent");
    }

    private static void range(int v, int min, int max, String field) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(field + ": out of " + min + ".." + max + ": " + v);
        }
    }

    @Override
    public byte[] pskSecret() {
        return pskSecret.clone();
    }

    /**
     * Reads and checks a configuration.
     *
     * @throws IllegalArgumentException naming the PID and the field
     */
    static MeshSettings from(MeshConfig c, String pid) {
        try {
            String uri = get(c::gatewayUri, "gatewayUri");
            URI gateway;
            try {
                gateway = new URI(uri == null ? "" : uri.trim());
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("gatewayUri: not a URI: '" + uri + "'");
            }
            byte[] secret;
            try {
                String hex = get(c::pskSecret, "pskSecret");
                secret = HexFormat.of().parseHex(hex == null ? "" : hex.trim());
            } catch (IllegalArgumentException e) {
                throw e.getMessage() != null && e.getMessage().startsWith("pskSecret") ? e
                        : new IllegalArgumentException("pskSecret: not an even number of hex digits");
            }
            return new MeshSettings(gateway, get(c::bindAddress, "bindAddress"), get(c::pskIdentity, "pskIdentity"),
                    secret, get(c::ackTimeoutMs, "ackTimeoutMs"), get(c::maxRetransmit, "maxRetransmit"),
                    get(c::requestTimeoutMs, "requestTimeoutMs"), get(c::pingTimeoutMs, "pingTimeoutMs"),
                    get(c::keepAliveMs, "keepAliveMs"), get(c::reconnectMs, "reconnectMs"), get(c::blockSize, "blockSize"),
                    get(c::mtu, "mtu"), get(c::maxPayloadBytes, "maxPayloadBytes"), get(c::bandwidthBps, "bandwidthBps"),
                    get(c::nstart, "nstart"), get(c::degradedRetransmissionPercent, "degradedRetransmissionPercent"),
                    get(c::headend_preference, "headend.preference"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid configuration " + pid + ": " + e.getMessage(), e);
        }
    }

    private static <T> T get(Supplier<T> value, String field) {
        try {
            return value.get();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(field + ": cannot be converted: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "MeshSettings[" + gatewayUri + " psk '" + pskIdentity + "' block " + blockSize + " mtu " + mtu
                + " ack " + ackTimeoutMs + " ms x" + maxRetransmit + " nstart " + nstart + " keepalive " + keepAliveMs
                + " ms preference " + preference + "]";
    }
}
