package org.modhub.gprs.internal.at;

/** The serial line failed (closed, unplugged, write refused): the port must be reopened. */
public final class AtLinkException extends AtException {
    private static final long serialVersionUID = 1L;

    public AtLinkException(String message) {
        super(message);
    }

    public AtLinkException(String message, Throwable cause) {
        super(message, cause);
    }
}
