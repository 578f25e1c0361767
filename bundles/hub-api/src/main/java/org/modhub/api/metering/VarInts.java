package org.modhub.api.metering;

import java.io.ByteArrayOutputStream;
import org.modhub.api.messaging.MalformedMessageException;

/**
 * The unsigned LEB128 varints (protobuf style) and zigzag mapping shared by {@link ReadingCodec} and
 * {@link ProfileCodec}. Package-private: not part of the API.
 */
final class VarInts {
    private VarInts() {
    }

    /** Maps a signed value to an unsigned one so that small magnitudes stay short. */
    static long zigzag(long v) {
        return (v << 1) ^ (v >> 63);
    }

    static long unzigzag(long v) {
        return (v >>> 1) ^ -(v & 1);
    }

    static void write(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    /**
     * Reads one varint at {@code pos[0]} and advances it; {@code what} names the message in the error
     * ("readings truncated at offset 12").
     */
    static long read(byte[] b, int[] pos, String what) throws MalformedMessageException {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos[0] >= b.length) {
                throw new MalformedMessageException(what + " truncated at offset " + pos[0]);
            }
            int x = b[pos[0]++] & 0xFF;
            v |= (long) (x & 0x7F) << shift;
            if ((x & 0x80) == 0) {
                return v;
            }
        }
        throw new MalformedMessageException("varint longer than 10 bytes at offset " + pos[0]);
    }
}
