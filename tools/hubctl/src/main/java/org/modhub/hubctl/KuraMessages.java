package org.modhub.hubctl;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.modhub.api.cloud.KuraDataCodec;
import org.modhub.api.messaging.MalformedMessageException;

/** KuraPayload with metrics (proto2, field numbers of Kura's kurapayload.proto), written and read by hand. */
final class KuraMessages {
    private KuraMessages() {
    }

    static byte[] encode(Map<String, Object> metrics, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        varint(out, 1 << 3);
        varint(out, System.currentTimeMillis());
        for (var e : metrics.entrySet()) {
            ByteArrayOutputStream m = new ByteArrayOutputStream();
            bytes(m, 1, e.getKey().getBytes(StandardCharsets.UTF_8));
            Object v = e.getValue();
            if (v instanceof Long || v instanceof Integer) {
                varint(m, 2 << 3);
                varint(m, 2); // INT64
                varint(m, 5 << 3);
                varint(m, ((Number) v).longValue());
            } else if (v instanceof Boolean b) {
                varint(m, 2 << 3);
                varint(m, 4); // BOOL
                varint(m, 7 << 3);
                varint(m, b ? 1 : 0);
            } else {
                varint(m, 2 << 3);
                varint(m, 5); // STRING
                bytes(m, 8, String.valueOf(v).getBytes(StandardCharsets.UTF_8));
            }
            bytes(out, 5000, m.toByteArray());
        }
        if (body != null && body.length > 0) {
            bytes(out, 5001, body);
        }
        return out.toByteArray();
    }

    record Decoded(Map<String, Object> metrics, byte[] body) {
    }

    static Decoded decode(byte[] wire) throws MalformedMessageException {
        byte[] b = KuraDataCodec.gunzipIfNeeded(wire);
        Map<String, Object> metrics = new LinkedHashMap<>();
        byte[] body = new byte[0];
        int[] pos = { 0 };
        while (pos[0] < b.length) {
            long tag = varint(b, pos);
            int field = (int) (tag >>> 3);
            int type = (int) (tag & 7);
            if (field == 5000 && type == 2) {
                int len = (int) varint(b, pos);
                metric(b, pos[0], pos[0] + len, metrics);
                pos[0] += len;
            } else if (field == 5001 && type == 2) {
                int len = (int) varint(b, pos);
                body = java.util.Arrays.copyOfRange(b, pos[0], pos[0] + len);
                pos[0] += len;
            } else {
                skip(b, pos, type);
            }
        }
        return new Decoded(metrics, body);
    }

    private static void metric(byte[] b, int from, int to, Map<String, Object> out) throws MalformedMessageException {
        int[] pos = { from };
        String name = null;
        Object value = null;
        while (pos[0] < to) {
            long tag = varint(b, pos);
            int field = (int) (tag >>> 3);
            int type = (int) (tag & 7);
            if (type == 2) {
                int len = (int) varint(b, pos);
                byte[] v = java.util.Arrays.copyOfRange(b, pos[0], pos[0] + len);
                pos[0] += len;
                if (field == 1) {
                    name = new String(v, StandardCharsets.UTF_8);
                } else if (field == 8) {
                    value = new String(v, StandardCharsets.UTF_8);
                } else if (field == 9) {
                    value = v;
                }
            } else if (type == 0) {
                long v = varint(b, pos);
                if (field == 5 || field == 6) {
                    value = v;
                } else if (field == 7) {
                    value = v != 0;
                }
            } else if (type == 1) {
                long bits = 0;
                for (int i = 0; i < 8; i++) {
                    bits |= (long) (b[pos[0]++] & 0xFF) << (8 * i);
                }
                value = Double.longBitsToDouble(bits);
            } else if (type == 5) {
                int bits = 0;
                for (int i = 0; i < 4; i++) {
                    bits |= (b[pos[0]++] & 0xFF) << (8 * i);
                }
                value = Float.intBitsToFloat(bits);
            } else {
                throw new MalformedMessageException("bad wire type " + type);
            }
        }
        if (name != null) {
            out.put(name, value);
        }
    }

    private static void skip(byte[] b, int[] pos, int type) throws MalformedMessageException {
        switch (type) {
            case 0 -> varint(b, pos);
            case 1 -> pos[0] += 8;
            case 2 -> pos[0] += (int) varint(b, pos);
            case 5 -> pos[0] += 4;
            default -> throw new MalformedMessageException("bad wire type " + type);
        }
    }

    private static long varint(byte[] b, int[] pos) throws MalformedMessageException {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos[0] >= b.length) {
                throw new MalformedMessageException("truncated varint");
            }
            int x = b[pos[0]++] & 0xFF;
            v |= (long) (x & 0x7F) << shift;
            if ((x & 0x80) == 0) {
                return v;
            }
        }
        throw new MalformedMessageException("varint too long");
    }

    private static void bytes(ByteArrayOutputStream out, int field, byte[] v) {
        varint(out, ((long) field << 3) | 2);
        varint(out, v.length);
        out.writeBytes(v);
    }

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }
}
