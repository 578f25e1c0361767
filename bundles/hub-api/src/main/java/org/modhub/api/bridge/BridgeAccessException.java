package org.modhub.api.bridge;

import java.util.Objects;

/**
 * A bridge's read was refused. The message says why in words an integrator can act on; the hub has
 * logged an audit event for it.
 */
public class BridgeAccessException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why a read was refused. */
    public enum Reason {
        /** The occupier has not granted this data object (or this meter) to the bridge. */
        NOT_GRANTED,
        /** The bridge has used up its read allowance; retry after {@link BridgeAccessException#retryAfterMillis()}. */
        RATE_LIMITED,
        /** The requested history reaches further back or spans more than the granted window. */
        RANGE_NOT_GRANTED,
        /** The bundle is not a bridge (no {@code Modhub-Bridge} manifest header) or has no consent at all. */
        NOT_A_BRIDGE,
        /** The data is not available now (the hub's store or mirror is not running). */
        UNAVAILABLE
    }

    private final Reason reason;
    private final long retryAfterMillis;

    public BridgeAccessException(Reason reason, String message) {
        this(reason, message, 0);
    }

    public BridgeAccessException(Reason reason, String message, long retryAfterMillis) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.retryAfterMillis = Math.max(0, retryAfterMillis);
    }

    public Reason reason() {
        return reason;
    }

    /** For {@link Reason#RATE_LIMITED}: how long until the next read is allowed; 0 otherwise. */
    public long retryAfterMillis() {
        return retryAfterMillis;
    }
}
