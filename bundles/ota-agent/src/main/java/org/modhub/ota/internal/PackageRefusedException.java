package org.modhub.ota.internal;

/** A package was refused before anything was applied; {@link #result()} says how to report it. */
public final class PackageRefusedException extends Exception {
    private static final long serialVersionUID = 1L;
    private final OtaResult result;

    PackageRefusedException(OtaResult result, String message) {
        super(message);
        this.result = result;
    }

    PackageRefusedException(OtaResult result, String message, Throwable cause) {
        super(message, cause);
        this.result = result;
    }

    OtaResult result() {
        return result;
    }
}
