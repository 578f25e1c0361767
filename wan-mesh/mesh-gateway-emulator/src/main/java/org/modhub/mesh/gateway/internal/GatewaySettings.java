package org.modhub.mesh.gateway.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HexFormat;

/**
 * Validated settings of the emulated border gateway.
 *
 * @param host address both the CoAP/DTLS server and the radio relay bind to (loopback in tests)
 * @param coapPort port of the CoAP/DTLS server (0: any free port)
 * @param radioPort port of the radio relay the hub talks to (0: any free port; -1: no radio, the hub
 *        talks to the CoAP port directly)
 * @param radio latency, jitter, loss and MTU of the emulated radio
 * @param pskIdentity the hub's DTLS PSK identity
 * @param pskSecret the hub's DTLS PSK secret
 * @param brokerUri MQTT broker, e.g. {@code tcp://127.0.0.1:1883}
 * @param mqttClientId the gateway's own MQTT client id (never the hub's client id)
 * @param account Kura account name of the hub's topics
 * @param clientId Kura client id of the hub's topics
 * @param blockSize CoAP block size (16..1024, a power of two)
 * @param maxBodySize largest reassembled CoAP body accepted
 * @param publishTimeoutMs how long a broker PUBACK may take before the hub is told 5.04
 * @param queueLimit largest number of head-end messages held per hub subscription
 */
public record GatewaySettings(String host, int coapPort, int radioPort, RadioRelay.Radio radio, String pskIdentity,
        byte[] pskSecret, String brokerUri, String mqttClientId, String account, String clientId, int blockSize,
        int maxBodySize, int publishTimeoutMs, int queueLimit) {

    public GatewaySettings {
        try {
            InetAddress.getByName(host);
        } catch (UnknownHostException | RuntimeException e) {
            throw new IllegalArgumentException("host: not an address: '" + host + "'");
        }
        if (coapPort < 0 || coapPort > 65_535) {
            throw new IllegalArgumentException("coapPort: out of 0..65535: " + coapPort);
        }
        if (radioPort < -1 || radioPort > 65_535) {
            throw new IllegalArgumentException("radioPort: out of -1..65535: " + radioPort);
        }
        if (radio == null) {
            throw new IllegalArgumentException("radio: missing");
        }
        if (pskIdentity == null || pskIdentity.isBlank() || pskIdentity.length() > 128) {
            throw new IllegalArgumentException("pskIdentity: must have 1..128 characters");
        }
        if (pskSecret == null || pskSecret.length < 8 || pskSecret.length > 64) {
            throw new IllegalArgumentException("pskSecret: must have 8..64 bytes");
        }
        pskSecret = pskSecret.clone();
        if (brokerUri == null || !brokerUri.matches("(tcp|ssl)://[^/]+:\\d+")) {
            throw new IllegalArgumentException("brokerUri: not tcp://host:port or ssl://host:port: '" + brokerUri + "'");
        }
        if (mqttClientId == null || mqttClientId.isBlank() || mqttClientId.length() > 64) {
            throw new IllegalArgumentException("mqttClientId: must have 1..64 characters");
        }
        if (mqttClientId.equals(clientId)) {
            throw new IllegalArgumentException("mqttClientId: must differ from the hub's clientId (the broker would disconnect the hub's own session)");
        }
        if (account == null || account.isBlank() || account.contains("/") || account.contains("+") || account.contains("#")) {
            throw new IllegalArgumentException("account: must be one topic level: '" + account + "'");
        }
        if (clientId == null || clientId.isBlank() || clientId.contains("/") || clientId.contains("+") || clientId.contains("#")) {
            throw new IllegalArgumentException("clientId: must be one topic level: '" + clientId + "'");
        }
        if (blockSize < 16 || blockSize > 1024 || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("blockSize: must be a power of two in 16..1024: " + blockSize);
        }
        if (maxBodySize < blockSize || maxBodySize > (8 << 20)) {
            throw new IllegalArgumentException("maxBodySize: out of blockSize..8 MiB: " + maxBodySize);
        }
        if (publishTimeoutMs < 100 || publishTimeoutMs > 600_000) {
            throw new IllegalArgumentException("publishTimeoutMs: out of 100..600000: " + publishTimeoutMs);
        }
        if (queueLimit < 1 || queueLimit > 100_000) {
            throw new IllegalArgumentException("queueLimit: out of 1..100000: " + queueLimit);
        }
    }

    /** Settings for tests and the dev variant: loopback, any free ports, the given radio and broker. */
    public static GatewaySettings loopback(RadioRelay.Radio radio, String brokerUri, String pskIdentity, byte[] pskSecret,
            String account, String clientId) {
        return new GatewaySettings("127.0.0.1", 0, 0, radio, pskIdentity, pskSecret, brokerUri,
                "modhub-mesh-gw-" + clientId, account, clientId, 512, 1 << 20, 10_000, 1_000);
    }

    /** The same settings bound to fixed ports (to bring a stopped gateway back where it was). */
    public GatewaySettings withPorts(int coap, int radioSide) {
        return new GatewaySettings(host, coap, radioSide, radio, pskIdentity, pskSecret, brokerUri, mqttClientId,
                account, clientId, blockSize, maxBodySize, publishTimeoutMs, queueLimit);
    }

    /** The same settings with another radio. */
    public GatewaySettings withRadio(RadioRelay.Radio r) {
        return new GatewaySettings(host, coapPort, radioPort, r, pskIdentity, pskSecret, brokerUri, mqttClientId,
                account, clientId, blockSize, maxBodySize, publishTimeoutMs, queueLimit);
    }

    @Override
    public byte[] pskSecret() {
        return pskSecret.clone();
    }

    /** Parses a hex secret, naming the field when it is not hex. */
    public static byte[] hex(String field, String value) {
        try {
            return HexFormat.of().parseHex(value == null ? "" : value.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + ": not an even number of hex digits");
        }
    }

    @Override
    public String toString() {
        return "GatewaySettings[" + host + " coap " + coapPort + " radio " + radioPort + " " + radio + " psk '"
                + pskIdentity + "' broker " + brokerUri + " " + account + "/" + clientId + " block " + blockSize + "]";
    }
}
