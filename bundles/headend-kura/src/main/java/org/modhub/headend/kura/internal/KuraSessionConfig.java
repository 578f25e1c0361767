package org.modhub.headend.kura.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the Kura-compatible head-end session (PID {@value KuraSessionComponent#PID}). */
@ObjectClassDefinition(id = KuraSessionComponent.PID, name = "modhub Kura head-end session",
        description = "MQTT session to a Kura-compatible head end (Eclipse Kapua family) over the IP WAN links.")
public @interface KuraSessionConfig {
    @AttributeDefinition(description = "Broker URI, tcp://host:port or ssl://host:port. Empty: the framework property "
            + "modhub.headend.broker; if that is empty too, the session stays off (not an error).")
    String brokerUri() default "";

    @AttributeDefinition(description = "Kura account name (first topic level).")
    String accountName() default "modhub";

    @AttributeDefinition(description = "MQTT client id and Kura client id. Empty: the hub id (framework property modhub.hub.id), 16 hex digits.")
    String clientId() default "";

    @AttributeDefinition(description = "MQTT user name (empty: none).")
    String username() default "";

    @AttributeDefinition(type = org.osgi.service.metatype.annotations.AttributeType.PASSWORD, description = "MQTT password.")
    String _password() default "";

    @AttributeDefinition(min = "0", max = "65535", description = "MQTT keep-alive in seconds (0: off).")
    int keepAliveSeconds() default 60;

    @AttributeDefinition(min = "1", max = "600", description = "MQTT connect timeout in seconds.")
    int connectTimeoutSeconds() default 30;

    @AttributeDefinition(min = "0", max = "2", description = "Largest QoS used for data messages (a message's own QoS is capped to it).")
    int qos() default 1;

    @AttributeDefinition(min = "1", max = "65535", description = "Most data publishes awaiting their acknowledgement.")
    int maxInflight() default 64;

    @AttributeDefinition(min = "10", max = "3600000", description = "First reconnect delay (ms); doubles per failure, with jitter.")
    int backoffMinMs() default 1_000;

    @AttributeDefinition(min = "10", max = "86400000", description = "Longest reconnect delay (ms).")
    int backoffMaxMs() default 300_000;

    @AttributeDefinition(description = "WAN technologies the session runs over (names of WanLink wan.technology). "
            + "Empty: every technology except the excluded ones.")
    String[] technologies() default {};

    @AttributeDefinition(description = "WAN technologies that do not carry IP to the broker (their own session bridges them).")
    String[] excludedTechnologies() default {"mesh"};

    @AttributeDefinition(description = "Preference of this session among head-end sessions, higher first.")
    int headend_preference() default 10;

    @AttributeDefinition(min = "256", max = "1048576", description = "Largest request payload accepted from the head end (bytes).")
    int maxRequestBytes() default 65_536;

    @AttributeDefinition(min = "1", max = "3600", description = "How long a request handler may take before the reply is 500 (s).")
    int requestTimeoutSeconds() default 60;

    @AttributeDefinition(description = "Model name reported in BIRTH.")
    String modelName() default "modhub comms hub";

    @AttributeDefinition(description = "Display name reported in BIRTH (empty: the client id).")
    String displayName() default "";

    @AttributeDefinition(description = "TLS trust store (PKCS12 or JKS) with the broker's CA; empty: the JVM's default trust.")
    String trustStorePath() default "";

    @AttributeDefinition(type = org.osgi.service.metatype.annotations.AttributeType.PASSWORD, description = "Trust store password.")
    String _trustStorePassword() default "";

    @AttributeDefinition(description = "TLS client key store (PKCS12 or JKS) with the hub's certificate and key; empty: no client certificate. "
            + "A key store written by the hub's PKI bundle plugs in here.")
    String keyStorePath() default "";

    @AttributeDefinition(type = org.osgi.service.metatype.annotations.AttributeType.PASSWORD, description = "Client key store password.")
    String _keyStorePassword() default "";

    @AttributeDefinition(description = "Alias of the client key in the key store (empty: the store's only key).")
    String keyAlias() default "";

    @AttributeDefinition(description = "TLS client authentication with the hub's own identity from the PKI agent "
            + "(TlsIdentity service: the hub's digital-signature key never leaves its key store) instead of a key store; "
            + "needs an ssl:// brokerUri and the broker's CA in trustStorePath. The session waits until the identity is there.")
    boolean useHubIdentity() default false;
}
