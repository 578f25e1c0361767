package org.modhub.umi.internal;

/** A failure on the intimate meter link, typed so the caller can log, back off and reconnect. */
public class UmiException extends Exception {
    private static final long serialVersionUID = 1L;

    public UmiException(String message) {
        super(message);
    }

    public UmiException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The meter did not answer in time. */
    public static final class MeterTimeoutException extends UmiException {
        private static final long serialVersionUID = 1L;

        public MeterTimeoutException(String message) {
            super(message);
        }
    }

    /** The meter refused the association (wrong keys, wrong mechanism) or its HLS proof failed. */
    public static final class AssociationRefusedException extends UmiException {
        private static final long serialVersionUID = 1L;

        public AssociationRefusedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Bytes from the meter that are not a well-formed frame or APDU, or fail decryption. */
    public static final class MalformedResponseException extends UmiException {
        private static final long serialVersionUID = 1L;

        public MalformedResponseException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A ciphered response whose invocation counter is not above the last one accepted: a replay. */
    public static final class ReplayException extends UmiException {
        private static final long serialVersionUID = 1L;

        public ReplayException(String message) {
            super(message);
        }
    }

    /** The meter answered a request with an error (access denied, object undefined, ...). */
    public static final class MeterErrorException extends UmiException {
        private static final long serialVersionUID = 1L;
        private final int code;

        public MeterErrorException(String message, int code) {
            super(message);
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    /** The hub refused a request before sending it (supply safety, clock validity window). */
    public static final class RefusedException extends UmiException {
        private static final long serialVersionUID = 1L;

        public RefusedException(String message) {
            super(message);
        }
    }

    /** The link itself failed (connection refused or lost). */
    public static final class LinkException extends UmiException {
        private static final long serialVersionUID = 1L;

        public LinkException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** IEC 62056-21: the meter's identification message is not {@code /XXXZ<identification>CR LF}. */
    public static final class MalformedIdentificationException extends UmiException {
        private static final long serialVersionUID = 1L;

        public MalformedIdentificationException(String message) {
            super(message);
        }
    }

    /** IEC 62056-21: the block check character of a data block does not match its bytes. */
    public static final class BadBccException extends UmiException {
        private static final long serialVersionUID = 1L;

        public BadBccException(String message) {
            super(message);
        }
    }

    /** IEC 62056-21: a data block or data set that does not follow the standard's syntax. */
    public static final class MalformedReadoutException extends UmiException {
        private static final long serialVersionUID = 1L;

        public MalformedReadoutException(String message) {
            super(message);
        }
    }

    /** IEC 62056-21: a data set carries a unit the metering model does not know. */
    public static final class UnknownUnitException extends UmiException {
        private static final long serialVersionUID = 1L;
        private final String unit;

        public UnknownUnitException(String message, String unit) {
            super(message);
            this.unit = unit;
        }

        public String unit() {
            return unit;
        }
    }

    /** The DLMS keys of the link are not in the key store, or the key store does not open. */
    public static final class KeysUnavailableException extends UmiException {
        private static final long serialVersionUID = 1L;

        public KeysUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
