package org.modhub.api.cloud;

import java.util.Optional;

/** The verb of a request from the head end, the topic segment after the application id. */
public enum CloudMethod {
    GET,
    PUT,
    POST,
    DEL,
    EXEC;

    /** The method named by a topic segment (exact, upper case), or empty. */
    public static Optional<CloudMethod> fromSegment(String segment) {
        for (CloudMethod m : values()) {
            if (m.name().equals(segment)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }
}
