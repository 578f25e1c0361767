package org.modhub.api.messaging;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * A message waiting in the outbox for the head end. Its id travels with it so the head end can
 * de-duplicate (delivery is at least once).
 */
public final class OutboundMessage {
    public static final int PRIORITY_HIGHEST = 0;
    public static final int PRIORITY_NORMAL = 4;
    public static final int PRIORITY_LOWEST = 9;

    private final String id;
    private final String topic;
    private final int priority;
    private final int qos;
    private final Instant createdAt;
    private final byte[] payload;

    /**
     * @param id unique message id (at most 128 characters)
     * @param topic application topic {@code {app_id}/{app_topic}}
     * @param priority 0 (highest) .. 9 (lowest); order is kept within a priority
     * @param qos MQTT QoS 0..2
     * @param createdAt when it was created (UTC)
     * @param payload the bytes, copied
     */
    public OutboundMessage(String id, String topic, int priority, int qos, Instant createdAt, byte[] payload) {
        if (id == null || id.isEmpty() || id.length() > 128) {
            throw new IllegalArgumentException("message id must have 1..128 characters");
        }
        if (topic == null || topic.isEmpty() || topic.startsWith("/") || topic.contains("#") || topic.contains("+")) {
            throw new IllegalArgumentException("not an application topic: '" + topic + "'");
        }
        if (priority < PRIORITY_HIGHEST || priority > PRIORITY_LOWEST) {
            throw new IllegalArgumentException("priority out of 0..9: " + priority);
        }
        if (qos < 0 || qos > 2) {
            throw new IllegalArgumentException("qos out of 0..2: " + qos);
        }
        this.id = id;
        this.topic = topic;
        this.priority = priority;
        this.qos = qos;
        this.createdAt = Objects.requireNonNull(createdAt, "createdAt");
        this.payload = Objects.requireNonNull(payload, "payload").clone();
    }

    /** A QoS 1 message of normal priority with a random id, created now. */
    public static OutboundMessage of(String topic, byte[] payload) {
        return new OutboundMessage(UUID.randomUUID().toString(), topic, PRIORITY_NORMAL, 1, Instant.now(), payload);
    }

    public String id() {
        return id;
    }

    public String topic() {
        return topic;
    }

    public int priority() {
        return priority;
    }

    public int qos() {
        return qos;
    }

    public Instant createdAt() {
        return createdAt;
    }

    public byte[] payload() {
        return payload.clone();
    }

    public int payloadLength() {
        return payload.length;
    }

    @Override
    public String toString() {
        return "OutboundMessage[" + id + " " + topic + " p" + priority + " qos" + qos + " " + payload.length + " B]";
    }
}
