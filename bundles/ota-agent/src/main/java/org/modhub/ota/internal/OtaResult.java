package org.modhub.ota.internal;

/**
 * Outcomes of a download or install, with the LwM2M Object 5 "Update Result" (resource 5) each maps to
 * (0 initial, 1 success, 2 not enough storage, 3 out of memory, 4 connection lost, 5 integrity check
 * failure, 6 unsupported package type, 7 invalid URI, 8 firmware update failed, 9 unsupported protocol).
 */
public enum OtaResult {
    IN_PROGRESS(0),
    /** The trial set passed its health check and is the new known-good set. */
    COMMITTED(1),
    /** Everything in the package already runs. */
    ALREADY_DONE(1),
    /** The trial set failed (apply, health check or too many failed starts); the known-good set runs. */
    ROLLED_BACK(8),
    /** Larger than the configured maximum. */
    TOO_LARGE(2),
    CONNECTION_LOST(4),
    /** Wrong download hash, bad or missing signature, a file that does not match the manifest. */
    INTEGRITY_FAILURE(5),
    /** Not a well-formed package, or bundles that cannot resolve, or a refused downgrade. */
    UNSUPPORTED_PACKAGE(6),
    INVALID_URI(7),
    UNSUPPORTED_PROTOCOL(9),
    CANCELLED(0),
    /** Could not even start (another job running, internal error). */
    FAILED(8);

    private final int lwm2m;

    OtaResult(int lwm2m) {
        this.lwm2m = lwm2m;
    }

    /** LwM2M Object 5 Update Result code. */
    public int lwm2m() {
        return lwm2m;
    }

    /** The DEPLOY-V2 status word a Kura-family head end expects. */
    String kuraStatus() {
        return switch (this) {
            case IN_PROGRESS -> "IN_PROGRESS";
            case COMMITTED -> "COMPLETED";
            case ALREADY_DONE -> "ALREADY DONE";
            case CANCELLED -> "CANCELLED";
            default -> "FAILED";
        };
    }
}
