package org.modhub.gprs.internal.at;

/** Network registration status, 3GPP TS 27.007 {@code <stat>} of {@code +CREG/+CGREG/+CEREG}. */
public enum RegStatus {
    NOT_REGISTERED(0, "not registered"),
    HOME(1, "registered home"),
    SEARCHING(2, "searching"),
    DENIED(3, "registration denied"),
    UNKNOWN(4, "registration unknown"),
    ROAMING(5, "registered roaming"),
    HOME_SMS_ONLY(6, "registered home for SMS only"),
    ROAMING_SMS_ONLY(7, "registered roaming for SMS only"),
    EMERGENCY_ONLY(8, "attached for emergency bearer services only"),
    HOME_CSFB_NOT_PREFERRED(9, "registered home (CSFB not preferred)"),
    ROAMING_CSFB_NOT_PREFERRED(10, "registered roaming (CSFB not preferred)");

    private final int code;
    private final String text;

    RegStatus(int code, String text) {
        this.code = code;
        this.text = text;
    }

    public int code() {
        return code;
    }

    public String text() {
        return text;
    }

    /** Registered with data service (home or roaming). */
    public boolean registered() {
        return this == HOME || this == ROAMING || this == HOME_CSFB_NOT_PREFERRED || this == ROAMING_CSFB_NOT_PREFERRED;
    }

    public boolean roaming() {
        return this == ROAMING || this == ROAMING_CSFB_NOT_PREFERRED;
    }

    static RegStatus of(int code, String line) throws AtProtocolException {
        for (RegStatus s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        throw new AtProtocolException("registration status " + code + " out of 0..10 in '" + line + "'");
    }
}
