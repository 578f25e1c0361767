package org.modhub.api.security;

/**
 * A security check failed: a command, ciphertext, certificate or package was refused. The
 * {@link #reason()} is stable and machine-readable; the message says what exactly was wrong. A
 * refusal never leaves state partly changed.
 */
public class SecurityCheckException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why something was refused. */
    public enum Reason {
        /** The bytes do not decode (truncated, trailing bytes, bad field). */
        MALFORMED,
        /** Longer than the configured maximum. */
        OVERSIZED,
        /** A command was expected but the CRA flag says otherwise. */
        NOT_A_COMMAND,
        /** Addressed to another entity. */
        WRONG_RECIPIENT,
        /** The originator is not a known remote party. */
        UNKNOWN_ORIGINATOR,
        /** The originator is known but not (or no longer) on the whitelist. */
        NOT_WHITELISTED,
        /** The certificate (or one in its chain) has expired. */
        CERTIFICATE_EXPIRED,
        /** The certificate (or one in its chain) is not valid yet. */
        CERTIFICATE_NOT_YET_VALID,
        /** The certificate has been revoked. */
        CERTIFICATE_REVOKED,
        /** The certificate does not chain to a trust anchor or breaks the profile. */
        CERTIFICATE_INVALID,
        /** The signer's role may not issue this message code. */
        ROLE_NOT_PERMITTED,
        /** The signature does not verify. */
        BAD_SIGNATURE,
        /** The date-time lies outside the validity window. */
        STALE_DATE_TIME,
        /** The originator or invocation counter is not above the last accepted one. */
        REPLAYED_COUNTER,
        /** A payload value is out of the range allowed for this message code. */
        VALUE_OUT_OF_RANGE,
        /** Authenticated decryption failed (tampered ciphertext, tag or header). */
        AUTHENTICATION_FAILED,
        /** No more invocation counter values: a new key is needed. */
        COUNTER_EXHAUSTED,
        /** A package file does not match its manifest digest, or is missing from it. */
        DIGEST_MISMATCH
    }

    private final Reason reason;

    public SecurityCheckException(Reason reason, String message) {
        super(reason + ": " + message);
        this.reason = reason;
    }

    public SecurityCheckException(Reason reason, String message, Throwable cause) {
        super(reason + ": " + message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
