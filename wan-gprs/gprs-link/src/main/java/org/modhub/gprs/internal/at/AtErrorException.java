package org.modhub.gprs.internal.at;

/** The modem answered a plain {@code ERROR} (or another final failure such as {@code NO CARRIER}). */
public final class AtErrorException extends AtException {
    private static final long serialVersionUID = 1L;
    private final String resultCode;

    public AtErrorException(String command, String resultCode) {
        super(command + " failed: " + resultCode);
        this.resultCode = resultCode;
    }

    public String resultCode() {
        return resultCode;
    }
}
