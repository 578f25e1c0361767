package org.modhub.api.messaging;

import java.util.concurrent.CompletionStage;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Routes messages between the head-end session and the device-facing services: commands to the
 * {@link MessageHandler} of their code, responses and alerts to the durable {@link Outbox}.
 */
@ProviderType
public interface MessageRouter {
    /** Application topic on which responses to commands are sent. */
    String RESPONSE_TOPIC = "hub/response";
    /** Application topic on which alerts are sent. */
    String ALERT_TOPIC = "hub/alert";

    /**
     * Dispatches a command to its handler and queues the response (or an error response) in the
     * outbox. The returned stage completes with the response once it is durably queued.
     */
    CompletionStage<Envelope> dispatch(Envelope command);

    /**
     * Queues an alert for the head end; durable when this returns.
     *
     * @param priority {@link OutboundMessage#PRIORITY_HIGHEST} .. {@link OutboundMessage#PRIORITY_LOWEST}
     */
    void alert(Envelope alert, int priority);
}
