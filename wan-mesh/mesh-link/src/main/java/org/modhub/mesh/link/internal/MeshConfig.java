package org.modhub.mesh.link.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the RF-mesh WAN link (PID {@value MeshLinkComponent#PID}). */
@ObjectClassDefinition(id = MeshLinkComponent.PID, name = "modhub RF-mesh WAN link",
        description = "CoAP over DTLS (PSK) to the mesh border gateway, which maps onto the head end's MQTT topics.")
public @interface MeshConfig {
    @AttributeDefinition(name = "Gateway URI", description = "coaps://host:port of the border gateway.")
    String gatewayUri();

    @AttributeDefinition(name = "Bind address", description = "Local address the DTLS socket binds to.")
    String bindAddress() default "0.0.0.0";

    @AttributeDefinition(name = "PSK identity", description = "The hub's DTLS pre-shared-key identity.")
    String pskIdentity();

    @AttributeDefinition(name = "PSK secret", description = "The DTLS pre-shared key, hex (8..64 bytes).",
            type = AttributeType.PASSWORD)
    String pskSecret();

    @AttributeDefinition(name = "ACK timeout (ms)", description = "Initial CoAP ACK timeout; CoCoA adapts it to the measured round trip.",
            min = "100", max = "60000")
    int ackTimeoutMs() default 2000;

    @AttributeDefinition(name = "Max retransmissions", description = "CoAP MAX_RETRANSMIT of a confirmable message.",
            min = "0", max = "10")
    int maxRetransmit() default 4;

    @AttributeDefinition(name = "Request timeout (ms)", description = "Longest a publish may take, queueing and block-wise transfer included.",
            min = "1000", max = "600000")
    int requestTimeoutMs() default 120000;

    @AttributeDefinition(name = "Ping timeout (ms)", description = "Longest a CoAP ping (and the DTLS handshake before it) may take.",
            min = "500", max = "300000")
    int pingTimeoutMs() default 20000;

    @AttributeDefinition(name = "Keep-alive (ms)", description = "CoAP ping after this long without a successful exchange.",
            min = "500", max = "3600000")
    int keepAliveMs() default 30000;

    @AttributeDefinition(name = "Reconnect interval (ms)", description = "Pause between connection attempts while DOWN.",
            min = "100", max = "3600000")
    int reconnectMs() default 5000;

    @AttributeDefinition(name = "Block size", description = "CoAP block size for block-wise transfer, a power of two in 16..1024.")
    int blockSize() default 512;

    @AttributeDefinition(name = "MTU", description = "Largest datagram the mesh carries, bytes (DTLS records are sized to it).",
            min = "128", max = "65507")
    int mtu() default 1024;

    @AttributeDefinition(name = "Max payload", description = "Largest outbox payload the session accepts (sent block-wise).",
            min = "1", max = "1048576")
    int maxPayloadBytes() default 65536;

    @AttributeDefinition(name = "Bandwidth (bit/s)", description = "Nominal bandwidth of the mesh, reported in the link properties.",
            min = "1")
    long bandwidthBps() default 100000;

    @AttributeDefinition(name = "NSTART", description = "Confirmable exchanges in flight to the gateway at once (RFC 7252 NSTART).",
            min = "1", max = "32")
    int nstart() default 1;

    @AttributeDefinition(name = "Degraded at retransmission %", description = "The link is DEGRADED when this share of transmissions are retransmissions.",
            min = "1", max = "100")
    int degradedRetransmissionPercent() default 30;

    @AttributeDefinition(name = "Head-end preference", description = "Preference of the mesh session among head-end sessions, higher first.")
    int headend_preference() default 10;
}
