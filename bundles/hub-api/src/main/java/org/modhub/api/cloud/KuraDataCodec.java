package org.modhub.api.cloud;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.modhub.api.messaging.MalformedMessageException;

/**
 * The exact mapping of an outbox message onto the bytes a Kura-compatible head end receives, shared
 * by every path to the head end (the MQTT session and a mesh border gateway produce identical bytes
 * for the same message). Pure Java: the KuraPayload (proto2, field numbers as in Kura's
 * {@code kurapayload.proto}) is written here by hand for these three fields only.
 *
 * <p><b>Topic:</b> application topic {@code {app_id}/{app_topic}} becomes
 * {@code {account}/{client_id}/{app_id}/{app_topic}}.
 *
 * <p><b>Payload:</b> a KuraPayload with exactly, in this order,
 * <ol>
 * <li>{@code timestamp} (field 1) = the message's creation time in epoch milliseconds;</li>
 * <li>one {@code metric} (field 5000): name {@value #MESSAGE_ID}, type STRING (5),
 *     {@code string_value} = the outbox message id (the head end de-duplicates on it);</li>
 * <li>{@code body} (field 5001) = the outbox payload bytes, unchanged (omitted when empty).</li>
 * </ol>
 * This is the canonical protobuf serialization (fields in number order), so protobuf-java's
 * {@code toByteArray()} of the same message gives the same bytes. The result is then gzip'd (JDK
 * {@link GZIPOutputStream}, default level, no file name, mtime 0) if, and only if, that is strictly
 * smaller. Decoders recognise gzip by its magic bytes {@code 1F 8B}, as Kura does.
 */
public final class KuraDataCodec {
    /** Metric carrying the outbox message id. */
    public static final String MESSAGE_ID = "message.id";
    /** Largest decoded payload accepted (body plus headers): 1 MiB + 64 KiB. */
    public static final int MAX_DECODED = (1 << 20) + (64 << 10);

    static final int TAG_TIMESTAMP = 1 << 3;               // field 1, varint
    static final int TAG_METRIC = (5000 << 3) | 2;         // field 5000, length-delimited
    static final int TAG_BODY = (5001 << 3) | 2;           // field 5001, length-delimited
    static final int METRIC_TYPE_STRING = 5;

    /** A data message as the head end sees it. */
    public record DataMessage(String messageId, Optional<Instant> timestamp, byte[] body) {
        public DataMessage {
            messageId = messageId == null ? "" : messageId;
            timestamp = timestamp == null ? Optional.empty() : timestamp;
            body = body == null ? new byte[0] : body.clone();
        }

        @Override
        public byte[] body() {
            return body.clone();
        }
    }

    private KuraDataCodec() {
    }

    /** The wire topic of an application topic. */
    public static String dataTopic(String account, String clientId, String appTopic) {
        return account + "/" + clientId + "/" + appTopic;
    }

    /** The wire payload of an outbox message (see the class description). */
    public static byte[] encode(String messageId, Instant createdAt, byte[] body) {
        Objects.requireNonNull(messageId, "messageId");
        Objects.requireNonNull(createdAt, "createdAt");
        byte[] id = messageId.getBytes(StandardCharsets.UTF_8);
        byte[] name = MESSAGE_ID.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream metric = new ByteArrayOutputStream(8 + name.length + id.length);
        metric.write(0x0A); // name, field 1, length-delimited
        writeVarint(metric, name.length);
        metric.writeBytes(name);
        metric.write(0x10); // type, field 2, varint
        writeVarint(metric, METRIC_TYPE_STRING);
        metric.write(0x42); // string_value, field 8, length-delimited
        writeVarint(metric, id.length);
        metric.writeBytes(id);

        byte[] b = body == null ? new byte[0] : body;
        ByteArrayOutputStream out = new ByteArrayOutputStream(24 + metric.size() + b.length);
        writeVarint(out, TAG_TIMESTAMP);
        writeVarint(out, createdAt.toEpochMilli());
        writeVarint(out, TAG_METRIC);
        writeVarint(out, metric.size());
        out.writeBytes(metric.toByteArray());
        if (b.length > 0) {
            writeVarint(out, TAG_BODY);
            writeVarint(out, b.length);
            out.writeBytes(b);
        }
        return gzipIfSmaller(out.toByteArray());
    }

    /** Gzips {@code raw} (deterministically) if that is strictly smaller, else returns it. */
    public static byte[] gzipIfSmaller(byte[] raw) {
        ByteArrayOutputStream gz = new ByteArrayOutputStream(raw.length / 2 + 32);
        try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
            z.write(raw);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen in memory
        }
        return gz.size() < raw.length ? gz.toByteArray() : raw;
    }

    /** Whether the bytes start with the gzip magic. */
    public static boolean isGzip(byte[] bytes) {
        return bytes != null && bytes.length >= 2 && (bytes[0] & 0xFF) == 0x1F && (bytes[1] & 0xFF) == 0x8B;
    }

    /**
     * Inflates a gzip'd payload (or returns it as it is), refusing more than {@link #MAX_DECODED}
     * bytes.
     */
    public static byte[] gunzipIfNeeded(byte[] bytes) throws MalformedMessageException {
        if (!isGzip(bytes)) {
            return bytes;
        }
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length * 4);
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) > 0) {
                if (out.size() + n > MAX_DECODED) {
                    throw new MalformedMessageException("gzip'd payload inflates beyond " + MAX_DECODED + " bytes");
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new MalformedMessageException("bad gzip payload: " + e.getMessage(), e);
        }
    }

    /**
     * Decodes a data payload: its timestamp, {@value #MESSAGE_ID} metric and body; other fields and
     * metrics are skipped.
     *
     * @throws MalformedMessageException if the bytes are not a well-formed KuraPayload
     */
    public static DataMessage decode(byte[] wire) throws MalformedMessageException {
        if (wire == null) {
            throw new MalformedMessageException("no payload");
        }
        byte[] bytes = gunzipIfNeeded(wire);
        Reader r = new Reader(bytes, 0, bytes.length);
        Instant timestamp = null;
        String id = "";
        byte[] body = new byte[0];
        while (r.more()) {
            long tag = r.varint();
            if (tag == TAG_TIMESTAMP) {
                long ms = r.varint();
                try {
                    timestamp = Instant.ofEpochMilli(ms);
                } catch (RuntimeException e) {
                    throw new MalformedMessageException("timestamp out of range: " + ms);
                }
            } else if (tag == TAG_METRIC) {
                Reader m = r.sub();
                String name = null;
                String value = null;
                int type = -1;
                while (m.more()) {
                    long t = m.varint();
                    if (t == 0x0A) {
                        name = m.string();
                    } else if (t == 0x10) {
                        type = (int) m.varint();
                    } else if (t == 0x42) {
                        value = m.string();
                    } else {
                        m.skip(t);
                    }
                }
                if (name == null || type < 0) {
                    throw new MalformedMessageException("metric without its required name or type");
                }
                if (MESSAGE_ID.equals(name) && type == METRIC_TYPE_STRING && value != null) {
                    id = value;
                }
            } else if (tag == TAG_BODY) {
                body = r.bytes();
            } else {
                r.skip(tag);
            }
        }
        return new DataMessage(id, Optional.ofNullable(timestamp), body);
    }

    static void writeVarint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    /** A bounded proto2 wire-format reader that throws on anything malformed. */
    static final class Reader {
        private final byte[] buf;
        private int pos;
        private final int end;

        Reader(byte[] buf, int from, int to) {
            this.buf = buf;
            this.pos = from;
            this.end = to;
        }

        boolean more() {
            return pos < end;
        }

        long varint() throws MalformedMessageException {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) {
                    throw new MalformedMessageException("truncated varint at offset " + pos);
                }
                int b = buf[pos++] & 0xFF;
                v |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return v;
                }
            }
            throw new MalformedMessageException("varint longer than 10 bytes at offset " + pos);
        }

        int length() throws MalformedMessageException {
            long n = varint();
            if (n < 0 || n > end - pos) {
                throw new MalformedMessageException("length " + n + " exceeds the " + (end - pos) + " bytes left");
            }
            return (int) n;
        }

        byte[] bytes() throws MalformedMessageException {
            int n = length();
            byte[] out = new byte[n];
            System.arraycopy(buf, pos, out, 0, n);
            pos += n;
            return out;
        }

        String string() throws MalformedMessageException {
            return new String(bytes(), StandardCharsets.UTF_8);
        }

        Reader sub() throws MalformedMessageException {
            int n = length();
            Reader r = new Reader(buf, pos, pos + n);
            pos += n;
            return r;
        }

        void skip(long tag) throws MalformedMessageException {
            if (tag >>> 3 == 0) {
                throw new MalformedMessageException("field number 0 at offset " + pos);
            }
            switch ((int) (tag & 7)) {
                case 0 -> varint();
                case 1 -> advance(8);
                case 2 -> advance(length());
                case 5 -> advance(4);
                default -> throw new MalformedMessageException("unsupported wire type " + (tag & 7) + " at offset " + pos);
            }
        }

        private void advance(int n) throws MalformedMessageException {
            if (n > end - pos) {
                throw new MalformedMessageException("field of " + n + " bytes exceeds the " + (end - pos) + " bytes left");
            }
            pos += n;
        }
    }
}
