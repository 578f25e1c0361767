package org.modhub.gprs.internal.at;

/**
 * A command did not complete with {@code OK}. The subclasses say why: {@link AtTimeoutException} (no
 * final result code in time), {@link AtErrorException} (plain {@code ERROR}), {@link CmeErrorException}
 * ({@code +CME ERROR: n}), {@link AtProtocolException} (garbage, over-long or malformed lines) and
 * {@link AtLinkException} (the serial line itself failed).
 */
public abstract sealed class AtException extends Exception
        permits AtTimeoutException, AtErrorException, CmeErrorException, AtProtocolException, AtLinkException {
    private static final long serialVersionUID = 1L;

    protected AtException(String message) {
        super(message);
    }

    protected AtException(String message, Throwable cause) {
        super(message, cause);
    }
}
