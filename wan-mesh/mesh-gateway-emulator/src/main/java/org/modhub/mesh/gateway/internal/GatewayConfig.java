package org.modhub.mesh.gateway.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the emulated mesh border gateway (PID {@value MeshGatewayEmulator#PID}). */
@ObjectClassDefinition(id = MeshGatewayEmulator.PID, name = "modhub emulated mesh border gateway",
        description = "CoAP/DTLS border gateway of an emulated RF mesh, bridged to an MQTT broker with the head end's Kura topics. Development and tests only.")
@interface GatewayConfig {
    @AttributeDefinition(description = "Address the gateway and its radio bind to.")
    String host() default "127.0.0.1";

    @AttributeDefinition(description = "UDP port of the CoAP/DTLS server (0: any).", min = "0", max = "65535")
    int coapPort() default 5694;

    @AttributeDefinition(description = "UDP port of the emulated radio the hub talks to (-1: no radio).", min = "-1", max = "65535")
    int radioPort() default 5684;

    @AttributeDefinition(description = "One-way radio latency in ms.", min = "0", max = "60000")
    int latencyMs() default 40;

    @AttributeDefinition(description = "Extra random one-way latency, 0..jitterMs ms.", min = "0", max = "60000")
    int jitterMs() default 10;

    @AttributeDefinition(description = "Share of datagrams the radio loses, in percent (0..99).", min = "0", max = "99")
    int lossPercent() default 0;

    @AttributeDefinition(description = "Largest datagram the radio carries, bytes.", min = "64", max = "65507")
    int mtu() default 1024;

    @AttributeDefinition(description = "The hub's DTLS PSK identity.")
    String pskIdentity() default "modhub-dev-hub";

    @AttributeDefinition(description = "The hub's DTLS PSK secret, hex.", type = AttributeType.PASSWORD)
    String pskSecret() default "6d6f646875622d6465762d70736b2d31";

    @AttributeDefinition(description = "MQTT broker of the head end.")
    String brokerUri() default "tcp://127.0.0.1:1883";

    @AttributeDefinition(description = "The gateway's own MQTT client id.")
    String mqttClientId() default "modhub-mesh-gw";

    @AttributeDefinition(description = "Kura account of the hub's topics (as the Kura session's).")
    String account() default "modhub";

    @AttributeDefinition(description = "Kura client id of the hub's topics (as the Kura session's).")
    String clientId() default "modhub-hub";

    @AttributeDefinition(description = "CoAP block size, a power of two in 16..1024.")
    int blockSize() default 512;
}
