package org.modhub.api.messaging;

/**
 * A head-end session can never carry this message as it is (for example, it is larger than the link
 * accepts, or its topic is refused). A session completes a publish exceptionally with this exception
 * (or throws it) only for such permanent refusals; transient failures use any other exception and
 * are retried. The outbox moves an undeliverable message to its quarantine, logs an event and goes
 * on with the messages behind it, so one such message cannot hold up the queue; nothing is deleted.
 */
public class UndeliverableMessageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UndeliverableMessageException(String message) {
        super(message);
    }
}
