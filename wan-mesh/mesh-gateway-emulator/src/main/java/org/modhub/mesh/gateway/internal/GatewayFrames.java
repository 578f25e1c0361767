package org.modhub.mesh.gateway.internal;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;

/**
 * The gateway's half of the hub-to-gateway frames carried in CoAP payloads (the hub's half lives in
 * mesh-link; the two are the two ends of one wire contract, version 1, all integers big-endian):
 *
 * <pre>
 * uplink   POST /d    01 | qos u8 | created-at epoch ms i64 | id-len u16 | id UTF-8
 *                        | topic-len u16 | application topic UTF-8 | body...
 *          answer 2.04 Changed with the message id (UTF-8) once the broker has PUBACKed it
 * downlink GET  /s?f=FILTER (Observe), POST /s?f=FILTER (ack), each answered with the head of the
 *          subscription's queue:
 *                    01 | 00 | epoch i64                                       (queue empty)
 *                    01 | 01 | epoch i64 | seq i64 | topic-len u16 | topic | payload...
 * ack      POST /s?f=FILTER body  01 | epoch i64 | seq i64  (everything up to seq was handed over)
 * </pre>
 */
public final class GatewayFrames {
    public static final int VERSION = 1;
    static final int KIND_EMPTY = 0;
    static final int KIND_MESSAGE = 1;
    static final int MAX_ID_BYTES = 512;
    static final int MAX_TOPIC_BYTES = 1024;

    /** A decoded uplink: one outbox message. */
    public record Uplink(int qos, Instant createdAt, String id, String topic, byte[] body) {
    }

    /** A decoded acknowledgement. */
    public record Ack(long epoch, long seq) {
    }

    private GatewayFrames() {
    }

    public static Uplink decodeUplink(byte[] frame) throws MeshFrameException {
        if (frame == null || frame.length < 14) {
            throw new MeshFrameException("uplink frame too short: " + (frame == null ? 0 : frame.length) + " B");
        }
        ByteBuffer b = ByteBuffer.wrap(frame);
        try {
            int version = b.get() & 0xFF;
            if (version != VERSION) {
                throw new MeshFrameException("unsupported uplink frame version " + version);
            }
            int qos = b.get() & 0xFF;
            if (qos > 2) {
                throw new MeshFrameException("qos out of 0..2: " + qos);
            }
            long millis = b.getLong();
            if (millis < 0) {
                throw new MeshFrameException("creation time before 1970: " + millis);
            }
            Instant createdAt = Instant.ofEpochMilli(millis);
            String id = string(b, MAX_ID_BYTES, "message id");
            if (id.isEmpty() || id.length() > 128) {
                throw new MeshFrameException("message id must have 1..128 characters");
            }
            String topic = string(b, MAX_TOPIC_BYTES, "topic");
            if (!TopicFilters.isTopic(topic)) {
                throw new MeshFrameException("not an application topic: '" + topic + "'");
            }
            byte[] body = Arrays.copyOfRange(frame, b.position(), frame.length);
            return new Uplink(qos, createdAt, id, topic, body);
        } catch (BufferUnderflowException e) {
            throw new MeshFrameException("uplink frame truncated");
        }
    }

    public static Ack decodeAck(byte[] frame) throws MeshFrameException {
        if (frame == null || frame.length != 17) {
            throw new MeshFrameException("ack frame must have 17 bytes, not " + (frame == null ? 0 : frame.length));
        }
        ByteBuffer b = ByteBuffer.wrap(frame);
        int version = b.get() & 0xFF;
        if (version != VERSION) {
            throw new MeshFrameException("unsupported ack frame version " + version);
        }
        long epoch = b.getLong();
        long seq = b.getLong();
        if (seq <= 0) {
            throw new MeshFrameException("ack of sequence number " + seq);
        }
        return new Ack(epoch, seq);
    }

    public static byte[] encodeEmpty(long epoch) {
        return ByteBuffer.allocate(10).put((byte) VERSION).put((byte) KIND_EMPTY).putLong(epoch).array();
    }

    public static byte[] encodeMessage(long epoch, long seq, String topic, byte[] payload) {
        byte[] t = topic.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(20 + t.length + payload.length).put((byte) VERSION).put((byte) KIND_MESSAGE)
                .putLong(epoch).putLong(seq).putShort((short) t.length).put(t).put(payload).array();
    }

    private static String string(ByteBuffer b, int max, String what) throws MeshFrameException {
        int n = b.getShort() & 0xFFFF;
        if (n > max) {
            throw new MeshFrameException(what + " of " + n + " B exceeds " + max + " B");
        }
        if (n > b.remaining()) {
            throw new MeshFrameException(what + " of " + n + " B exceeds the " + b.remaining() + " B left");
        }
        byte[] bytes = new byte[n];
        b.get(bytes);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new MeshFrameException(what + " is not UTF-8");
        }
    }
}
