package org.modhub.umi.internal;

import java.util.OptionalLong;

/**
 * Reads the invocation counter from a ciphered response APDU on the TCP wrapper, so that the client
 * can refuse a replayed response: glo-/ded- get, set and action responses (tag, BER length, security
 * control byte, 4-byte invocation counter) and general-glo-/general-ded-ciphering (tag, system title,
 * BER length, security control, counter). Returns empty for anything else (unciphered APDUs, HDLC).
 */
final class ResponseCounter {
    private static final int WRAPPER_HEADER = 8;

    private ResponseCounter() {
    }

    static OptionalLong of(byte[] frame) {
        if (frame == null || frame.length < WRAPPER_HEADER + 7) {
            return OptionalLong.empty();
        }
        int i = WRAPPER_HEADER;
        int tag = frame[i++] & 0xFF;
        boolean gloOrDed = tag == 0xCC || tag == 0xCD || tag == 0xCF || tag == 0xD4 || tag == 0xD5 || tag == 0xD7;
        if (tag == 0xDB || tag == 0xDC) { // general-glo-/general-ded-ciphering: system title first
            int titleLength = frame[i++] & 0xFF;
            i += titleLength;
        } else if (!gloOrDed) {
            return OptionalLong.empty();
        }
        if (i >= frame.length) {
            return OptionalLong.empty();
        }
        int first = frame[i++] & 0xFF;
        if (first == 0x81) {
            i += 1;
        } else if (first == 0x82) {
            i += 2;
        } else if (first > 0x82) {
            return OptionalLong.empty();
        }
        i += 1; // security control byte
        if (i + 4 > frame.length) {
            return OptionalLong.empty();
        }
        long ic = ((long) (frame[i] & 0xFF) << 24) | ((frame[i + 1] & 0xFF) << 16) | ((frame[i + 2] & 0xFF) << 8)
                | (frame[i + 3] & 0xFF);
        return OptionalLong.of(ic);
    }
}
