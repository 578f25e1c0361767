package org.modhub.api.messaging;

/** The outbox cannot take the message even after purging (e.g. one message larger than its capacity). */
public class OutboxFullException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public OutboxFullException(String message) {
        super(message);
    }
}
