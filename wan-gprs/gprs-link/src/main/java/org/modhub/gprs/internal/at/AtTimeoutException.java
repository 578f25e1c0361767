package org.modhub.gprs.internal.at;

/** No final result code arrived within the command's timeout: the modem may have fallen silent. */
public final class AtTimeoutException extends AtException {
    private static final long serialVersionUID = 1L;

    public AtTimeoutException(String command, long timeoutMs) {
        super("no answer to " + command + " within " + timeoutMs + " ms");
    }
}
