package org.modhub.gprs.internal.at;

/**
 * The modem's answer was not what 27.007 allows: non-printable bytes, an over-long line, or an
 * information response that does not parse.
 */
public final class AtProtocolException extends AtException {
    private static final long serialVersionUID = 1L;

    private final boolean reported;

    public AtProtocolException(String message) {
        this(message, false);
    }

    /**
     * @param reported whether the offending input has already been reported (as an event) where it was
     *        read, so that the caller does not report it twice
     */
    public AtProtocolException(String message, boolean reported) {
        super(message);
        this.reported = reported;
    }

    public boolean reported() {
        return reported;
    }
}
