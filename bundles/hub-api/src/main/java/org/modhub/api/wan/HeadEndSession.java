package org.modhub.api.wan;

import java.time.Instant;
import java.util.concurrent.CompletionStage;
import org.modhub.api.messaging.OutboundMessage;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The session to the head end that a WAN link carries (MQTT over an IP link, or a mesh transport
 * through its border gateway). Registered as a service with the {@link WanLink#TECHNOLOGY} property of
 * the link it runs over and {@link #PREFERENCE}; the hub-core outbox feeds whichever session is
 * connected, most preferred first.
 *
 * <p>Topics are application topics relative to the hub's namespace, {@code {app_id}/{app_topic}};
 * the session maps them onto its wire namespace (for a Kura-compatible head end,
 * {@code {account}/{client_id}/{app_id}/{app_topic}}). Whichever WAN is active, the head end sees the
 * same topics and payloads.
 */
@ProviderType
public interface HeadEndSession {
    /** Service property: preference among sessions, higher first (Integer, default 0). */
    String PREFERENCE = "headend.preference";

    /** The technology of the link this session runs over. */
    String technology();

    /** Whether a publish now has a chance to be confirmed. */
    boolean isConnected();

    /** The largest payload in bytes the session accepts in one publish. */
    int maxPayloadSize();

    /**
     * Sends a payload to the head end.
     *
     * @param topic application topic {@code {app_id}/{app_topic}}
     * @param payload the bytes to send, unchanged
     * @param qos 0 (at most once), 1 (at least once) or 2 (exactly once)
     * @return completes with the instant the head end (or its broker) confirmed receipt, for QoS 0
     *         when the bytes were handed to the link; completes exceptionally if the message was not
     *         delivered, in which case the caller still owns it
     */
    CompletionStage<Instant> publish(String topic, byte[] payload, int qos);

    /**
     * Sends an outbox message to the head end. The outbox calls this form, so a session can put the
     * message id and creation time on the wire (a Kura-compatible session maps them as
     * {@link org.modhub.api.cloud.KuraDataCodec} describes). The default sends
     * {@code publish(message.topic(), message.payload(), message.qos())}.
     *
     * @since 1.1
     */
    default CompletionStage<Instant> publish(OutboundMessage message) {
        return publish(message.topic(), message.payload(), message.qos());
    }

    /**
     * Subscribes to messages from the head end. Subscriptions survive reconnects of the session.
     *
     * @param topicFilter application topic filter; MQTT wildcards {@code +} and {@code #} allowed
     * @param qos requested QoS
     * @param listener called for every message, on a session thread
     * @return a handle that ends the subscription
     */
    Subscription subscribe(String topicFilter, int qos, InboundListener listener);

    /** A subscription; closing it unsubscribes. */
    @ProviderType
    interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    /** Receives messages from the head end. */
    @org.osgi.annotation.versioning.ConsumerType
    @FunctionalInterface
    interface InboundListener {
        void received(String topic, byte[] payload);
    }
}
