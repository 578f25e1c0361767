package org.modhub.api.cloud;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A request from the head end to one application of the hub, decoded from
 * {@code $EDC/{account}/{client_id}/{app_id}/{method}/{resource...}}.
 *
 * @param appId the application id, e.g. {@code DEPLOY-V2}
 * @param method the verb
 * @param resources the resource path after the verb (may be empty), e.g. {@code [download]}
 * @param requestId the {@code request.id} metric; the reply goes to {@code REPLY/{requestId}}
 * @param requesterClientId the {@code requester.client.id} metric; the reply goes to its namespace
 * @param metrics every metric of the request (values are Double, Float, Long, Integer, Boolean,
 *        String or byte[]), including the two above
 * @param body the request body (empty when absent)
 * @param timestamp the payload's timestamp, if it carried one
 */
public record CloudRequest(String appId, CloudMethod method, List<String> resources, String requestId,
        String requesterClientId, Map<String, Object> metrics, byte[] body, Optional<Instant> timestamp) {
    public static final String REQUEST_ID = "request.id";
    public static final String REQUESTER_CLIENT_ID = "requester.client.id";

    public CloudRequest {
        Objects.requireNonNull(appId, "appId");
        Objects.requireNonNull(method, "method");
        resources = resources == null ? List.of() : List.copyOf(resources);
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(requesterClientId, "requesterClientId");
        metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
        body = body == null ? new byte[0] : body.clone();
        timestamp = timestamp == null ? Optional.empty() : timestamp;
    }

    @Override
    public byte[] body() {
        return body.clone();
    }

    /** The resource path joined with '/', e.g. {@code download} or {@code packages/foo}. */
    public String resourcePath() {
        return String.join("/", resources);
    }
}
