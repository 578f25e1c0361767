package org.modhub.zigbee.emulator.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Little-endian octet writing and reading as ZigBee frames carry them. The emulated devices encode and
 * decode their frames with this on purpose, not with the library the hub uses, so the tests check the
 * hub's frames against an independent reading of the specification.
 */
public final class Frames {
    private Frames() {
    }

    /** Appends little-endian fields. */
    public static final class Writer {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        public Writer u8(int v) {
            out.write(v & 0xFF);
            return this;
        }

        public Writer u16(int v) {
            return u8(v).u8(v >>> 8);
        }

        public Writer u24(long v) {
            return u8((int) v).u8((int) (v >>> 8)).u8((int) (v >>> 16));
        }

        public Writer u32(long v) {
            return u16((int) v).u16((int) (v >>> 16));
        }

        public Writer u48(long v) {
            return u32(v).u16((int) (v >>> 32));
        }

        public Writer u64(long v) {
            return u32(v).u32(v >>> 32);
        }

        public Writer bytes(byte[] b) {
            out.write(b, 0, b.length);
            return this;
        }

        /** A ZCL character string: one length octet, then the octets. */
        public Writer string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return u8(b.length).bytes(b);
        }

        public int[] toInts() {
            byte[] b = out.toByteArray();
            int[] r = new int[b.length];
            for (int i = 0; i < b.length; i++) {
                r[i] = b[i] & 0xFF;
            }
            return r;
        }
    }

    /** Reads little-endian fields; throws {@link IllegalArgumentException} past the end. */
    public static final class Reader {
        private final int[] data;
        private int pos;

        public Reader(int[] data) {
            this.data = data;
        }

        public int remaining() {
            return data.length - pos;
        }

        public int u8() {
            if (pos >= data.length) {
                throw new IllegalArgumentException("frame too short at octet " + pos);
            }
            return data[pos++] & 0xFF;
        }

        public int u16() {
            return u8() | u8() << 8;
        }

        public long u24() {
            return u16() | (long) u8() << 16;
        }

        public long u32() {
            return (u16() & 0xFFFFL) | (long) u16() << 16;
        }

        public long u48() {
            return u32() | (long) u16() << 32;
        }

        public long u64() {
            return u32() | u32() << 32;
        }

        public byte[] rest() {
            byte[] b = new byte[data.length - pos];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) data[pos++];
            }
            return b;
        }

        public byte[] bytes(int n) {
            if (n > remaining()) {
                throw new IllegalArgumentException("frame too short: need " + n + " octets, have " + remaining());
            }
            byte[] b = new byte[n];
            for (int i = 0; i < n; i++) {
                b[i] = (byte) data[pos++];
            }
            return b;
        }

        public String string() {
            int n = u8();
            return n == 0xFF ? "" : new String(bytes(n), StandardCharsets.UTF_8);
        }
    }
}
