package org.modhub.api.messaging;

import java.util.concurrent.CompletionStage;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Handles commands of some message codes. Register as a service (whiteboard) with the property
 * {@link #MESSAGE_CODES}; the {@link MessageRouter} dispatches each command to the handler of its
 * code with the highest service ranking. Handlers come and go at run time; a command whose code no
 * handler serves is answered with an error response.
 */
@ConsumerType
public interface MessageHandler {
    /** Service property: the message codes handled (Integer or Integer[]). */
    String MESSAGE_CODES = "modhub.message.codes";

    /**
     * Handles a command that the router has already checked (recipient is this hub, counter fresh).
     *
     * @return completes with the response envelope, or with null if the command has no response;
     *         completes exceptionally with {@link CommandRefusedException} to refuse it with a reason
     */
    CompletionStage<Envelope> handle(Envelope command);
}
