package org.modhub.api.messaging;

import java.time.Instant;
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

    /**
     * Prepares one of the hub's alerts to be sent later exactly as prepared (a last-gasp alert built
     * when power fails, sent minutes later): the router stamps it now with an originator counter
     * reserved for {@code due} — above every counter issued before {@code due} — and signs it when a
     * signer is present. An alert of another originator keeps its counter.
     *
     * @param due when the alert is expected to be sent
     * @since 1.1
     */
    PreparedAlert prepareAlert(Envelope alert, Instant due);

    /**
     * Queues a prepared alert; durable when this returns. It leaves exactly as prepared if its
     * counter is still above every counter the hub issued since (counters stay strictly increasing);
     * otherwise, or if it was prepared unsigned and a signer is now present, it is stamped and
     * signed again.
     *
     * @since 1.1
     */
    void alert(PreparedAlert alert, int priority);
}
