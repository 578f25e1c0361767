package org.modhub.reports.internal;

import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.modhub.api.common.Eui64;
import org.modhub.api.messaging.MalformedMessageException;
import org.modhub.api.metering.ObisCode;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.ReadingFlag;
import org.modhub.api.metering.Unit;

/**
 * The body of a readings report: register readings of one device and measurand, oldest first.
 *
 * <pre>
 *  1   format version (1)
 *  8   device EUI-64
 *  6   measurand, OBIS logical name
 *  v   n (1..100000)
 *  n × ( v instant delta in ms from the previous one (the first: ms since 1970),
 *        v zigzag(raw), 1 scaler (signed), 1 DLMS unit code, v flag mask )
 * </pre>
 * v = unsigned LEB128 varint.
 */
final class ReadingsCodec {
    static final int VERSION = 1;

    private ReadingsCodec() {
    }

    static byte[] encode(List<Reading> readings) {
        if (readings.isEmpty()) {
            throw new IllegalArgumentException("no readings");
        }
        Reading first = readings.get(0);
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 + readings.size() * 8);
        out.write(VERSION);
        out.writeBytes(first.device().octets());
        out.writeBytes(first.measurand().logicalName());
        varint(out, readings.size());
        long prev = 0;
        for (Reading r : readings) {
            if (!r.device().equals(first.device()) || !r.measurand().equals(first.measurand())) {
                throw new IllegalArgumentException("one device and measurand per report");
            }
            long ms = r.instant().toEpochMilli();
            if (ms < prev) {
                throw new IllegalArgumentException("readings out of order");
            }
            varint(out, ms - prev);
            prev = ms;
            varint(out, (r.raw() << 1) ^ (r.raw() >> 63));
            out.write(r.scaler());
            out.write(r.unit().dlmsCode());
            varint(out, ReadingFlag.toMask(r.flags()));
        }
        return out.toByteArray();
    }

    static List<Reading> decode(byte[] b) throws MalformedMessageException {
        try {
            int[] pos = {0};
            if (b[pos[0]++] != VERSION) {
                throw new MalformedMessageException("readings report version " + b[0]);
            }
            byte[] eui = java.util.Arrays.copyOfRange(b, 1, 9);
            byte[] ln = java.util.Arrays.copyOfRange(b, 9, 15);
            if (b.length < 15) {
                throw new MalformedMessageException("truncated header");
            }
            pos[0] = 15;
            Eui64 device = Eui64.of(eui);
            ObisCode obis = ObisCode.ofLogicalName(ln);
            long n = varint(b, pos);
            if (n < 1 || n > 100_000) {
                throw new MalformedMessageException("count " + n);
            }
            List<Reading> out = new ArrayList<>();
            long t = 0;
            for (int i = 0; i < n; i++) {
                t += varint(b, pos);
                long z = varint(b, pos);
                long raw = (z >>> 1) ^ -(z & 1);
                int scaler = b[pos[0]++];
                int unit = b[pos[0]++] & 0xFF;
                int flags = (int) varint(b, pos);
                out.add(new Reading(device, obis, Instant.ofEpochMilli(t), raw, scaler,
                        Unit.fromDlms(unit).orElseThrow(() -> new IllegalArgumentException("unit " + unit)), ReadingFlag.fromMask(flags)));
            }
            if (pos[0] != b.length) {
                throw new MalformedMessageException((b.length - pos[0]) + " octets after the last reading");
            }
            return out;
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw new MalformedMessageException("bad readings report: " + e.getMessage());
        }
    }

    static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    static long varint(byte[] b, int[] pos) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int x = b[pos[0]++] & 0xFF;
            v |= (long) (x & 0x7F) << shift;
            if ((x & 0x80) == 0) {
                return v;
            }
        }
        throw new IllegalArgumentException("varint too long");
    }
}
