package org.modhub.lastgasp.internal;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Objects;

/**
 * The payload of the hub's power alerts, big-endian, fixed 30 bytes:
 *
 * <pre>
 * offset size field
 *  0      1   format version (1)
 *  1      1   kind: 1 power outage, 2 supply restored (short), 3 supply restored after a long outage
 *  2      8   outage start (first loss), epoch milliseconds UTC
 * 10      8   restore instant, epoch milliseconds UTC (0 for a power-outage alert)
 * 18      8   time off, milliseconds (for a power-outage alert: the qualification time)
 * 26      4   number of off periods coalesced (flaps)
 * </pre>
 */
public record OutageAlertPayload(Kind kind, Instant outageStart, Instant restored, long offMillis, int flaps) {
    public static final int VERSION = 1;
    public static final int LENGTH = 30;

    /** What an alert reports. */
    public enum Kind {
        OUTAGE(1),
        RESTORED(2),
        RESTORED_LONG(3);

        final int code;

        Kind(int code) {
            this.code = code;
        }

        static Kind of(int code) throws MalformedPayloadException {
            for (Kind k : values()) {
                if (k.code == code) {
                    return k;
                }
            }
            throw new MalformedPayloadException("unknown alert kind " + code);
        }
    }

    public OutageAlertPayload {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(outageStart, "outageStart");
        if (kind == Kind.OUTAGE ? restored != null : restored == null) {
            throw new IllegalArgumentException(kind + (kind == Kind.OUTAGE ? " has no" : " needs a") + " restore instant");
        }
        if (offMillis < 0 || flaps < 1) {
            throw new IllegalArgumentException("offMillis must be >= 0 and flaps >= 1");
        }
    }

    public byte[] encode() {
        return ByteBuffer.allocate(LENGTH).put((byte) VERSION).put((byte) kind.code).putLong(outageStart.toEpochMilli())
                .putLong(restored == null ? 0 : restored.toEpochMilli()).putLong(offMillis).putInt(flaps).array();
    }

    /**
     * @throws MalformedPayloadException unless the bytes are exactly one payload of this version
     */
    public static OutageAlertPayload decode(byte[] bytes) throws MalformedPayloadException {
        if (bytes == null || bytes.length != LENGTH) {
            throw new MalformedPayloadException("power alert payload must have " + LENGTH + " bytes, got "
                    + (bytes == null ? 0 : bytes.length));
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            int version = b.get() & 0xFF;
            if (version != VERSION) {
                throw new MalformedPayloadException("unknown power alert payload version " + version);
            }
            Kind kind = Kind.of(b.get() & 0xFF);
            Instant start = Instant.ofEpochMilli(b.getLong());
            long restoredMillis = b.getLong();
            long off = b.getLong();
            int flaps = b.getInt();
            if (kind == Kind.OUTAGE && restoredMillis != 0) {
                throw new MalformedPayloadException("power-outage alert with a restore instant");
            }
            return new OutageAlertPayload(kind, start, kind == Kind.OUTAGE ? null : Instant.ofEpochMilli(restoredMillis),
                    off, flaps);
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new MalformedPayloadException("malformed power alert payload: " + e.getMessage());
        }
    }

    /** Bytes that are not a power alert payload. */
    public static final class MalformedPayloadException extends Exception {
        private static final long serialVersionUID = 1L;

        public MalformedPayloadException(String message) {
            super(message);
        }
    }
}
