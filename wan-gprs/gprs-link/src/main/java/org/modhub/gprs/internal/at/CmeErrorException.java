package org.modhub.gprs.internal.at;

import java.util.Locale;
import java.util.Map;

/**
 * The modem answered {@code +CME ERROR: <err>} (3GPP TS 27.007 §9.2), numeric ({@code +CMEE=1}) or
 * verbose ({@code +CMEE=2}); verbose texts of the common codes are mapped back to their numbers.
 */
public final class CmeErrorException extends AtException {
    private static final long serialVersionUID = 1L;

    /** 27.007 §9.2.1 codes the driver acts on. */
    public static final int OPERATION_NOT_ALLOWED = 3;
    public static final int OPERATION_NOT_SUPPORTED = 4;
    public static final int SIM_NOT_INSERTED = 10;
    public static final int SIM_PIN_REQUIRED = 11;
    public static final int SIM_PUK_REQUIRED = 12;
    public static final int SIM_FAILURE = 13;
    public static final int INCORRECT_PASSWORD = 16;
    public static final int NO_NETWORK_SERVICE = 30;
    public static final int UNKNOWN_CODE = -1;

    private static final Map<String, Integer> VERBOSE = Map.ofEntries(
            Map.entry("phone failure", 0), Map.entry("operation not allowed", 3),
            Map.entry("operation not supported", 4), Map.entry("sim not inserted", 10),
            Map.entry("sim pin required", 11), Map.entry("sim puk required", 12), Map.entry("sim failure", 13),
            Map.entry("sim busy", 14), Map.entry("sim wrong", 15), Map.entry("incorrect password", 16),
            Map.entry("no network service", 30), Map.entry("network timeout", 31),
            Map.entry("incorrect parameters", 50), Map.entry("unknown", 100));

    private final int code;
    private final String text;

    private CmeErrorException(String command, int code, String text) {
        super(command + " failed: +CME ERROR: " + text);
        this.code = code;
        this.text = text;
    }

    /** From the text after {@code +CME ERROR:}. */
    public static CmeErrorException of(String command, String errorText) {
        String t = errorText.trim();
        int code;
        if (t.matches("\\d{1,5}")) {
            code = Integer.parseInt(t);
        } else {
            code = VERBOSE.getOrDefault(t.toLowerCase(Locale.ROOT), UNKNOWN_CODE);
        }
        return new CmeErrorException(command, code, t);
    }

    /** The numeric code, or {@link #UNKNOWN_CODE} for a verbose text the driver does not know. */
    public int code() {
        return code;
    }

    public String text() {
        return text;
    }
}
