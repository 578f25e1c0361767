package org.modhub.api.messaging;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import org.modhub.api.common.Eui64;

/**
 * A command, response or alert: the header every message carries and its payload. The originator
 * counter is strictly increasing per originator (anti-replay); responses carry the counter of the
 * command they answer.
 */
public final class Envelope {
    private final String messageId;
    private final MessageType type;
    private final Eui64 originator;
    private final long originatorCounter;
    private final Eui64 recipient;
    private final Instant dateTime;
    private final int messageCode;
    private final byte[] payload;

    /**
     * @param messageId unique id the head end de-duplicates on
     * @param type CRA flag
     * @param originator who sent it
     * @param originatorCounter the originator's counter, non-negative
     * @param recipient who it is for
     * @param dateTime when it was created, UTC
     * @param messageCode 16-bit message (use-case) code
     * @param payload body bytes (copied)
     */
    public Envelope(String messageId, MessageType type, Eui64 originator, long originatorCounter, Eui64 recipient,
            Instant dateTime, int messageCode, byte[] payload) {
        if (messageId == null || messageId.isBlank()) {
            throw new IllegalArgumentException("messageId is empty");
        }
        this.messageId = messageId;
        this.type = Objects.requireNonNull(type, "type");
        this.originator = Objects.requireNonNull(originator, "originator");
        if (originatorCounter < 0) {
            throw new IllegalArgumentException("originator counter is negative: " + originatorCounter);
        }
        this.originatorCounter = originatorCounter;
        this.recipient = Objects.requireNonNull(recipient, "recipient");
        this.dateTime = Objects.requireNonNull(dateTime, "dateTime");
        if (messageCode < 0 || messageCode > 0xFFFF) {
            throw new IllegalArgumentException("message code out of 0..0xFFFF: " + messageCode);
        }
        this.messageCode = messageCode;
        this.payload = payload == null ? new byte[0] : payload.clone();
    }

    public String messageId() {
        return messageId;
    }

    public MessageType type() {
        return type;
    }

    public Eui64 originator() {
        return originator;
    }

    public long originatorCounter() {
        return originatorCounter;
    }

    public Eui64 recipient() {
        return recipient;
    }

    public Instant dateTime() {
        return dateTime;
    }

    public int messageCode() {
        return messageCode;
    }

    public byte[] payload() {
        return payload.clone();
    }

    public int payloadLength() {
        return payload.length;
    }

    /** A response to this command from {@code responder}, carrying this command's counter. */
    public Envelope respond(String responseId, Eui64 responder, Instant at, byte[] responsePayload) {
        return new Envelope(responseId, MessageType.RESPONSE, responder, originatorCounter, originator, at, messageCode,
                responsePayload);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Envelope e && e.messageId.equals(messageId) && e.type == type
                && e.originator.equals(originator) && e.originatorCounter == originatorCounter
                && e.recipient.equals(recipient) && e.dateTime.equals(dateTime) && e.messageCode == messageCode
                && Arrays.equals(e.payload, payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(messageId, type, originator, originatorCounter, messageCode);
    }

    @Override
    public String toString() {
        return String.format("%s[id=%s code=0x%04X from=%s #%d to=%s at=%s %d B]", type, messageId, messageCode,
                originator, originatorCounter, recipient, dateTime, payload.length);
    }
}
