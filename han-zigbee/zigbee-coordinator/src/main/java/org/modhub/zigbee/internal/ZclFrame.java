package org.modhub.zigbee.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A strict reader and writer of the ZCL frames the hub serves itself or maps into the metering model.
 * Every read checks lengths and types and throws {@link MalformedZclFrameException} instead of reading
 * past the end or guessing.
 */
final class ZclFrame {
    static final int READ_ATTRIBUTES = 0x00;
    static final int READ_ATTRIBUTES_RESPONSE = 0x01;
    static final int REPORT_ATTRIBUTES = 0x0A;
    static final int DEFAULT_RESPONSE = 0x0B;

    static final int STATUS_SUCCESS = 0x00;
    static final int STATUS_FAILURE = 0x01;
    static final int STATUS_UNSUPPORTED_ATTRIBUTE = 0x86;
    static final int STATUS_NOT_FOUND = 0x8B;

    static final int TYPE_BITMAP8 = 0x18;
    static final int TYPE_UINT24 = 0x22;
    static final int TYPE_UINT32 = 0x23;
    static final int TYPE_UINT48 = 0x25;
    static final int TYPE_ENUM8 = 0x30;
    static final int TYPE_UTC = 0xE2;

    private ZclFrame() {
    }

    record Header(boolean clusterSpecific, boolean manufacturerSpecific, boolean serverToClient,
            boolean disableDefaultResponse, int sequence, int command, int length) {
    }

    /** An attribute record of a report or a read response (value only when status is success). */
    record Attribute(int id, int status, int type, long value) {
    }

    static Header header(int[] p) throws MalformedZclFrameException {
        if (p == null || p.length < 3) {
            throw new MalformedZclFrameException("ZCL frame shorter than its 3-octet header: "
                    + (p == null ? 0 : p.length) + " octets");
        }
        int fc = p[0] & 0xFF;
        int frameType = fc & 0x03;
        if (frameType > 1) {
            throw new MalformedZclFrameException("reserved ZCL frame type " + frameType);
        }
        if ((fc & 0xE0) != 0) {
            throw new MalformedZclFrameException(String.format("reserved ZCL frame control bits set: %02X", fc));
        }
        boolean manufacturer = (fc & 0x04) != 0;
        int len = manufacturer ? 5 : 3;
        if (p.length < len) {
            throw new MalformedZclFrameException("manufacturer-specific ZCL frame shorter than its 5-octet header");
        }
        return new Header(frameType == 1, manufacturer, (fc & 0x08) != 0, (fc & 0x10) != 0, p[len - 2] & 0xFF,
                p[len - 1] & 0xFF, len);
    }

    /** Octets of a fixed-size value of the type, or -1 for a length-prefixed string, or throws. */
    static int valueSize(int type) throws MalformedZclFrameException {
        if (type >= 0x08 && type <= 0x0F) {
            return type - 0x07;
        }
        if (type == 0x10) {
            return 1;
        }
        if (type >= 0x18 && type <= 0x1F) {
            return type - 0x17;
        }
        if (type >= 0x20 && type <= 0x27) {
            return type - 0x1F;
        }
        if (type >= 0x28 && type <= 0x2F) {
            return type - 0x27;
        }
        if (type == 0x30) {
            return 1;
        }
        if (type == 0x31) {
            return 2;
        }
        if (type >= 0xE0 && type <= 0xE2) {
            return 4;
        }
        if (type == 0x41 || type == 0x42) {
            return -1;
        }
        throw new MalformedZclFrameException(String.format("unsupported ZCL data type %02X", type));
    }

    /** Reads one value; strings are skipped and read as their length. Returns {value, next offset}. */
    private static long[] value(int[] p, int off, int type) throws MalformedZclFrameException {
        int size = valueSize(type);
        if (size < 0) {
            need(p, off, 1);
            int n = p[off] & 0xFF;
            if (n == 0xFF) {
                return new long[] {0, off + 1};
            }
            need(p, off + 1, n);
            return new long[] {n, off + 1 + n};
        }
        need(p, off, size);
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | (p[off + i] & 0xFF);
        }
        boolean signed = type >= 0x28 && type <= 0x2F;
        if (signed && size < 8 && (v & (1L << (size * 8 - 1))) != 0) {
            v -= 1L << (size * 8);
        }
        return new long[] {v, off + size};
    }

    private static void need(int[] p, int off, int n) throws MalformedZclFrameException {
        if (off + n > p.length) {
            throw new MalformedZclFrameException("ZCL frame truncated: needs " + (off + n) + " octets, has " + p.length);
        }
    }

    /** Attribute records of a Report Attributes command. */
    static List<Attribute> report(int[] p, int off) throws MalformedZclFrameException {
        List<Attribute> out = new ArrayList<>();
        if (off >= p.length) {
            throw new MalformedZclFrameException("attribute report without records");
        }
        while (off < p.length) {
            need(p, off, 3);
            int id = (p[off] & 0xFF) | (p[off + 1] & 0xFF) << 8;
            int type = p[off + 2] & 0xFF;
            long[] v = value(p, off + 3, type);
            out.add(new Attribute(id, STATUS_SUCCESS, type, v[0]));
            off = (int) v[1];
        }
        return out;
    }

    /** Attribute records of a Read Attributes Response. */
    static List<Attribute> readResponse(int[] p, int off) throws MalformedZclFrameException {
        List<Attribute> out = new ArrayList<>();
        while (off < p.length) {
            need(p, off, 3);
            int id = (p[off] & 0xFF) | (p[off + 1] & 0xFF) << 8;
            int status = p[off + 2] & 0xFF;
            if (status != STATUS_SUCCESS) {
                out.add(new Attribute(id, status, 0, 0));
                off += 3;
                continue;
            }
            need(p, off + 3, 1);
            int type = p[off + 3] & 0xFF;
            long[] v = value(p, off + 4, type);
            out.add(new Attribute(id, status, type, v[0]));
            off = (int) v[1];
        }
        return out;
    }

    /** Attribute ids of a Read Attributes command. */
    static int[] attributeIds(int[] p, int off) throws MalformedZclFrameException {
        int n = p.length - off;
        if (n <= 0 || n % 2 != 0) {
            throw new MalformedZclFrameException("read attributes with " + n + " octets of attribute ids");
        }
        int[] ids = new int[n / 2];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (p[off + 2 * i] & 0xFF) | (p[off + 2 * i + 1] & 0xFF) << 8;
        }
        return ids;
    }

    /** Reads little-endian unsigned fields of a command payload; a short payload is malformed. */
    static final class Reader {
        private final int[] p;
        private int off;

        Reader(int[] p, int off) {
            this.p = p;
            this.off = off;
        }

        long uint(int octets) throws MalformedZclFrameException {
            need(p, off, octets);
            long v = 0;
            for (int i = octets - 1; i >= 0; i--) {
                v = v << 8 | (p[off + i] & 0xFF);
            }
            off += octets;
            return v;
        }
    }

    /** Writes little-endian octets. */
    static final class Writer {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Writer u8(int v) {
            out.write(v & 0xFF);
            return this;
        }

        Writer u16(int v) {
            return u8(v).u8(v >>> 8);
        }

        Writer uint(long v, int octets) {
            for (int i = 0; i < octets; i++) {
                u8((int) (v >>> (8 * i)));
            }
            return this;
        }

        Writer u32(long v) {
            return uint(v, 4);
        }

        Writer bytes(byte[] b) {
            out.write(b, 0, b.length);
            return this;
        }

        Writer string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            if (b.length > 254) {
                throw new IllegalArgumentException("ZCL string longer than 254 octets");
            }
            return u8(b.length).bytes(b);
        }

        Writer value(int type, long v) {
            int size;
            try {
                size = valueSize(type);
            } catch (MalformedZclFrameException e) {
                throw new IllegalArgumentException(e.getMessage());
            }
            return uint(v, size);
        }

        byte[] toBytes() {
            return out.toByteArray();
        }

        int size() {
            return out.size();
        }
    }
}
