package org.modhub.api.cloud;

import java.util.concurrent.CompletionStage;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Whiteboard: a hub application that answers requests from the head end (e.g. {@code DEPLOY-V2}, a
 * command application). Register it as a service with the property {@link #APP_ID}; the head-end
 * session subscribes to its requests, lists it in the APPS/BIRTH {@code application_ids} and routes
 * {@code $EDC/{account}/{client_id}/{app_id}/{method}/...} to it. Requests for an application id no
 * handler serves are answered 404; if two handlers claim one id, the higher service ranking wins.
 */
@ConsumerType
public interface CloudRequestHandler {
    /** Service property: the application id (String), e.g. {@code DEPLOY-V2}; no '/', '+' or '#'. */
    String APP_ID = "cloud.app.id";

    /**
     * Handles one request, on a session thread: long work belongs on the handler's own executor.
     *
     * @return completes with the response; completes exceptionally with
     *         {@link CloudRequestException} to answer with its code and message (any other exception
     *         answers 500)
     */
    CompletionStage<CloudResponse> handle(CloudRequest request);
}
