package org.modhub.api.messaging;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import org.modhub.api.common.Eui64;

/**
 * The wire form of an {@link Envelope} between the hub and its head end, in the spirit of the GBCS
 * general header: every field big-endian, fixed layout first, so a verifier can check the header
 * before looking at the payload.
 *
 * <pre>
 * offset size field
 *  0      1   format version (1)
 *  1      1   CRA flag (1 command, 2 response, 3 alert)
 *  2      8   originator counter
 * 10      8   originator EUI-64
 * 18      8   recipient EUI-64
 * 26      8   date-time, milliseconds since 1970-01-01T00:00Z
 * 34      2   message code
 * 36      1   message id length n (1..128)
 * 37      n   message id, UTF-8
 * 37+n    4   payload length m (0..MAX_PAYLOAD)
 * 41+n    m   payload
 * </pre>
 */
public final class EnvelopeCodec {
    public static final int FORMAT_VERSION = 1;
    /** Largest payload accepted: 1 MiB. */
    public static final int MAX_PAYLOAD = 1 << 20;
    private static final int FIXED = 41;

    private EnvelopeCodec() {
    }

    public static byte[] encode(Envelope e) {
        byte[] id = e.messageId().getBytes(StandardCharsets.UTF_8);
        if (id.length > 128) {
            throw new IllegalArgumentException("message id longer than 128 bytes");
        }
        byte[] payload = e.payload();
        ByteBuffer b = ByteBuffer.allocate(FIXED + id.length + payload.length);
        b.put((byte) FORMAT_VERSION).put((byte) e.type().craFlag()).putLong(e.originatorCounter())
                .putLong(e.originator().value()).putLong(e.recipient().value())
                .putLong(e.dateTime().toEpochMilli()).putShort((short) e.messageCode()).put((byte) id.length).put(id)
                .putInt(payload.length).put(payload);
        return b.array();
    }

    /**
     * @throws MalformedMessageException if the bytes are not exactly one well-formed envelope
     */
    public static Envelope decode(byte[] bytes) throws MalformedMessageException {
        if (bytes == null || bytes.length < FIXED + 1) {
            throw new MalformedMessageException("message too short: " + (bytes == null ? 0 : bytes.length) + " bytes");
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            int version = b.get() & 0xFF;
            if (version != FORMAT_VERSION) {
                throw new MalformedMessageException("unknown format version " + version);
            }
            MessageType type = MessageType.ofCraFlag(b.get() & 0xFF);
            long counter = b.getLong();
            if (counter < 0) {
                throw new MalformedMessageException("originator counter is negative");
            }
            Eui64 originator = Eui64.of(b.getLong());
            Eui64 recipient = Eui64.of(b.getLong());
            Instant at = Instant.ofEpochMilli(b.getLong());
            int code = b.getShort() & 0xFFFF;
            int idLength = b.get() & 0xFF;
            if (idLength == 0 || idLength > 128) {
                throw new MalformedMessageException("message id length " + idLength + " out of 1..128");
            }
            byte[] id = new byte[idLength];
            b.get(id);
            int payloadLength = b.getInt();
            if (payloadLength < 0 || payloadLength > MAX_PAYLOAD) {
                throw new MalformedMessageException("payload length " + payloadLength + " out of 0.." + MAX_PAYLOAD);
            }
            if (payloadLength != b.remaining()) {
                throw new MalformedMessageException("payload length " + payloadLength + " but " + b.remaining()
                        + " bytes follow");
            }
            byte[] payload = new byte[payloadLength];
            b.get(payload);
            return new Envelope(new String(id, StandardCharsets.UTF_8), type, originator, counter, recipient, at, code,
                    payload);
        } catch (BufferUnderflowException e) {
            throw new MalformedMessageException("message truncated", e);
        } catch (IllegalArgumentException | DateTimeException e) {
            throw new MalformedMessageException("malformed message: " + e.getMessage(), e);
        }
    }
}
