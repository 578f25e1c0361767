package org.modhub.mbus.link.internal;

/** A telegram, frame or data record the hub refuses, with the reason as a type the caller can test. */
public class MbusDecodeException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why a telegram or record was refused; {@link #eventCode()} names the hub event. */
    public enum Reason {
        /** Length field(s) disagree with the bytes received, or the frame is truncated. */
        BAD_LENGTH,
        /** Wired frame checksum (arithmetic sum) or wireless block CRC (EN 13757-4) wrong. */
        BAD_CHECKSUM,
        /** Start/stop characters, C or CI field not those of a data telegram. */
        MALFORMED,
        /** A value information field that EN 13757-3 reserves or the decoder does not know. */
        UNKNOWN_VIF,
        /** A record the metering model cannot hold (unit, storage number or value out of range). */
        UNSUPPORTED_RECORD,
        /** Encrypted, and no key for the device in the key store. */
        NO_KEY,
        /** Encrypted, and the key does not decrypt it (plaintext check 2F 2F fails). */
        WRONG_KEY,
        /** A mode-7 message counter not above the last one accepted from the device (replay). */
        REPLAYED,
        /** A security mode the hub does not implement. */
        UNSUPPORTED_SECURITY
    }

    private final Reason reason;

    public MbusDecodeException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public MbusDecodeException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    /** The EventLog code for this refusal. */
    public String eventCode() {
        return "MBUS_" + reason.name();
    }
}
