package org.modhub.api.cloud;

/**
 * Thrown by (or completes the stage of) a {@link CloudRequestHandler} to answer with a given
 * response code and message: 400 for a malformed request, 404 for an unknown resource, 500 else.
 */
public class CloudRequestException extends Exception {
    private static final long serialVersionUID = 1L;
    private final int code;

    public CloudRequestException(int code, String message) {
        super(message);
        if (code < 400 || code > 599) {
            throw new IllegalArgumentException("an error response code is 400..599: " + code);
        }
        this.code = code;
    }

    public int code() {
        return code;
    }
}
