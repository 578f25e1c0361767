package org.modhub.core.internal.metering;

import java.io.ByteArrayOutputStream;
import java.util.Map;
import java.util.TreeMap;

/**
 * One day of one profile (one device, measurand, interval length, scaler and unit) as a compact
 * block: the slots of the day that have a value, each as (slot delta, zig-zag varint of the value's
 * difference to the previous slot's, flags). A day of 48 half-hourly gas or electricity values
 * takes ~50–100 bytes instead of 48 rows. Format version 1:
 *
 * <pre>
 * version(1) count(varint) { slotDelta(varint) valueDelta(zigzag varint) flags(varint) }*
 * </pre>
 */
final class ProfileDay {
    static final int VERSION = 1;

    /** slot → {raw, flags} */
    final TreeMap<Integer, long[]> slots = new TreeMap<>();

    byte[] encode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 + slots.size() * 3);
        out.write(VERSION);
        writeVarint(out, slots.size());
        int lastSlot = 0;
        long lastValue = 0;
        for (Map.Entry<Integer, long[]> e : slots.entrySet()) {
            writeVarint(out, e.getKey() - lastSlot);
            long v = e.getValue()[0];
            long delta = v - lastValue;
            writeVarint(out, (delta << 1) ^ (delta >> 63));
            writeVarint(out, e.getValue()[1]);
            lastSlot = e.getKey();
            lastValue = v;
        }
        return out.toByteArray();
    }

    static ProfileDay decode(byte[] data) {
        ProfileDay day = new ProfileDay();
        int[] pos = {0};
        if (data.length == 0 || (data[0] & 0xFF) != VERSION) {
            throw new IllegalStateException("profile block of unknown format");
        }
        pos[0] = 1;
        long count = readVarint(data, pos);
        int slot = 0;
        long value = 0;
        for (long i = 0; i < count; i++) {
            slot += (int) readVarint(data, pos);
            long zz = readVarint(data, pos);
            value += (zz >>> 1) ^ -(zz & 1);
            long flags = readVarint(data, pos);
            day.slots.put(slot, new long[] {value, flags});
        }
        return day;
    }

    private static void writeVarint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    private static long readVarint(byte[] data, int[] pos) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos[0] >= data.length) {
                throw new IllegalStateException("profile block truncated");
            }
            byte b = data[pos[0]++];
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw new IllegalStateException("profile block has an over-long varint");
    }
}
