package org.modhub.mesh.link.internal;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.modhub.api.messaging.OutboundMessage;

/**
 * The hub's half of the hub-to-border-gateway frames carried in CoAP payloads (version 1, integers
 * big-endian; the gateway implements the other half of the same contract):
 *
 * <pre>
 * uplink   POST /d  01 | qos u8 | created-at epoch ms i64 | id-len u16 | id UTF-8
 *                      | topic-len u16 | application topic UTF-8 | body...
 *          answer 2.04 Changed with the message id (UTF-8) once the broker confirmed the message
 * downlink GET /s?f=FILTER (Observe) and POST /s?f=FILTER (ack) are answered with the queue head:
 *                  01 | 00 | epoch i64                                        (nothing pending)
 *                  01 | 01 | epoch i64 | seq i64 | topic-len u16 | topic | payload...
 * ack      POST /s?f=FILTER body  01 | epoch i64 | seq i64
 * </pre>
 *
 * The id, creation time and body are what {@code KuraDataCodec} needs, so the gateway publishes the
 * same bytes the MQTT session would.
 */
final class MeshFrames {
    static final int VERSION = 1;
    static final int MAX_TOPIC_BYTES = 1024;

    /** A downlink frame: either nothing pending ({@code seq == 0}) or one message from the head end. */
    record Downlink(long epoch, long seq, String topic, byte[] payload) {
        boolean isMessage() {
            return seq > 0;
        }
    }

    private MeshFrames() {
    }

    static byte[] encodeUplink(OutboundMessage m) {
        byte[] id = m.id().getBytes(StandardCharsets.UTF_8);
        byte[] topic = m.topic().getBytes(StandardCharsets.UTF_8);
        if (topic.length > MAX_TOPIC_BYTES) {
            throw new IllegalArgumentException("topic of " + topic.length + " B exceeds " + MAX_TOPIC_BYTES + " B");
        }
        byte[] body = m.payload();
        return ByteBuffer.allocate(14 + id.length + topic.length + body.length).put((byte) VERSION).put((byte) m.qos())
                .putLong(m.createdAt().toEpochMilli()).putShort((short) id.length).put(id)
                .putShort((short) topic.length).put(topic).put(body).array();
    }

    static byte[] encodeAck(long epoch, long seq) {
        return ByteBuffer.allocate(17).put((byte) VERSION).putLong(epoch).putLong(seq).array();
    }

    static Downlink decodeDownlink(byte[] frame) throws MeshProtocolException {
        if (frame == null || frame.length < 10) {
            throw new MeshProtocolException("downlink frame too short: " + (frame == null ? 0 : frame.length) + " B");
        }
        ByteBuffer b = ByteBuffer.wrap(frame);
        try {
            int version = b.get() & 0xFF;
            if (version != VERSION) {
                throw new MeshProtocolException("unsupported downlink frame version " + version);
            }
            int kind = b.get() & 0xFF;
            long epoch = b.getLong();
            if (kind == 0) {
                if (b.hasRemaining()) {
                    throw new MeshProtocolException("empty downlink frame with " + b.remaining() + " trailing bytes");
                }
                return new Downlink(epoch, 0, "", new byte[0]);
            }
            if (kind != 1) {
                throw new MeshProtocolException("unknown downlink frame kind " + kind);
            }
            long seq = b.getLong();
            if (seq <= 0) {
                throw new MeshProtocolException("downlink sequence number " + seq);
            }
            int n = b.getShort() & 0xFFFF;
            if (n == 0 || n > MAX_TOPIC_BYTES || n > b.remaining()) {
                throw new MeshProtocolException("downlink topic length " + n + " out of 1.." + Math.min(MAX_TOPIC_BYTES, b.remaining()));
            }
            byte[] t = new byte[n];
            b.get(t);
            String topic;
            try {
                topic = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(t)).toString();
            } catch (CharacterCodingException e) {
                throw new MeshProtocolException("downlink topic is not UTF-8");
            }
            if (topic.contains("+") || topic.contains("#") || topic.startsWith("/")) {
                throw new MeshProtocolException("downlink topic is not a concrete application topic: '" + topic + "'");
            }
            return new Downlink(epoch, seq, topic, Arrays.copyOfRange(frame, b.position(), frame.length));
        } catch (BufferUnderflowException e) {
            throw new MeshProtocolException("downlink frame truncated");
        }
    }
}
