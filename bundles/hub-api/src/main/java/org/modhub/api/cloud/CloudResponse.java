package org.modhub.api.cloud;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The reply to a {@link CloudRequest}, sent to
 * {@code $EDC/{account}/{requester.client.id}/{app_id}/REPLY/{request.id}} with the metric
 * {@code response.code} and, for an error, {@code response.exception.message}.
 *
 * @param code 200 OK, 400 bad request, 404 not found, 500 internal error
 * @param metrics further metrics of the reply (Double, Float, Long, Integer, Boolean, String, byte[])
 * @param body reply body (empty when none)
 * @param exceptionMessage the error message, empty on success
 */
public record CloudResponse(int code, Map<String, Object> metrics, byte[] body, String exceptionMessage) {
    public static final String RESPONSE_CODE = "response.code";
    public static final String EXCEPTION_MESSAGE = "response.exception.message";
    public static final int OK = 200;
    public static final int BAD_REQUEST = 400;
    public static final int NOT_FOUND = 404;
    public static final int ERROR = 500;

    public CloudResponse {
        if (code < 100 || code > 599) {
            throw new IllegalArgumentException("response code out of 100..599: " + code);
        }
        metrics = metrics == null ? Map.of() : Map.copyOf(new LinkedHashMap<>(metrics));
        body = body == null ? new byte[0] : body.clone();
        exceptionMessage = exceptionMessage == null ? "" : exceptionMessage;
        Objects.requireNonNull(metrics);
    }

    @Override
    public byte[] body() {
        return body.clone();
    }

    public static CloudResponse ok() {
        return new CloudResponse(OK, Map.of(), null, "");
    }

    public static CloudResponse ok(Map<String, Object> metrics, byte[] body) {
        return new CloudResponse(OK, metrics, body, "");
    }

    public static CloudResponse error(int code, String message) {
        return new CloudResponse(code, Map.of(), null, message);
    }
}
