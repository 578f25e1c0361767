package org.modhub.mbus.link.internal;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Function;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.modhub.mbus.link.internal.MbusDecodeException.Reason;
import org.openmuc.jmbus.SecondaryAddress;

/**
 * Security mode 7 (OMS Specification Vol. 2; EN 13757-7), which jMBus 3.3.0 does not implement: a
 * wireless telegram with an extended link layer (CI 0x8C) and an authentication and fragmentation
 * layer (CI 0x90) carrying the message counter and an AES-CMAC; the transport layer (CI 0x7A) is
 * AES-128-CBC encrypted with IV 0 under a per-message key. Key derivation function A:
 * {@code K = CMAC(master, DC || MCR || ID || 07 07 07 07 07 07 07)} with DC 0x00 for the encryption
 * and 0x01 for the MAC key, MCR the message counter and ID the meter's identification number (both
 * as transmitted, least significant octet first). The MAC ({@code CMAC(Kmac, MCL || MCR || TPL)},
 * truncated) is checked before anything is decrypted.
 */
final class Mode7 {
    /** The result: an unencrypted transport layer (CI 0x7A) jMBus can read, and the message counter. */
    record Opened(byte[] plainTpl, long counter) {
    }

    private Mode7() {
    }

    static Opened open(byte[] t, SecondaryAddress link, Function<SecondaryAddress, Optional<byte[]>> keys)
            throws MbusDecodeException {
        String who = Telegrams.name(link);
        int p = 10;
        if ((t[p] & 0xFF) == 0x8C) {
            p += 3; // CI, CC, ACC
        } else if ((t[p] & 0xFF) != 0x90) {
            throw new MbusDecodeException(Reason.UNSUPPORTED_SECURITY, String.format("%s: CI %02X (long extended link layer) not implemented", who, t[p] & 0xFF));
        }
        need(t, p + 4, who);
        if ((t[p] & 0xFF) != 0x90) {
            throw new MbusDecodeException(Reason.UNSUPPORTED_SECURITY, who + ": extended link layer without the AFL: no security mode 7");
        }
        int aflEnd = p + 2 + (t[p + 1] & 0xFF);
        need(t, aflEnd + 1, who);
        int fcl = (t[p + 2] & 0xFF) | (t[p + 3] & 0xFF) << 8;
        if ((fcl & 0x8000) != 0 || (fcl & 0x00FF) != 0) {
            throw new MbusDecodeException(Reason.UNSUPPORTED_SECURITY, who + ": fragmented AFL messages are not supported");
        }
        boolean mclp = (fcl & 0x2000) != 0;
        boolean mlp = (fcl & 0x4000) != 0;
        boolean mcrp = (fcl & 0x0800) != 0;
        boolean macp = (fcl & 0x0400) != 0;
        boolean kip = (fcl & 0x0200) != 0;
        if (!mclp || !mcrp || !macp) {
            throw new MbusDecodeException(Reason.UNSUPPORTED_SECURITY, who + ": AFL without message control, counter or MAC");
        }
        int q = p + 4;
        int mcl = t[q++] & 0xFF;
        if (kip) {
            q += 2;
        }
        int mcrAt = q;
        q += 4;
        long counter = (t[mcrAt] & 0xFFL) | (t[mcrAt + 1] & 0xFFL) << 8 | (t[mcrAt + 2] & 0xFFL) << 16 | (t[mcrAt + 3] & 0xFFL) << 24;
        int macLen = aflEnd - q - (mlp ? 2 : 0);
        int at = mcl & 0x0F;
        int expected = at == 5 ? 8 : at == 6 ? 12 : at == 7 ? 16 : at == 4 ? 4 : -1;
        if (expected < 0 || macLen != expected) {
            throw new MbusDecodeException(Reason.UNSUPPORTED_SECURITY, who + ": AFL authentication type " + at + " with a " + macLen + "-octet MAC");
        }
        byte[] mac = Arrays.copyOfRange(t, q, q + macLen);
        byte[] ml = mlp ? Arrays.copyOfRange(t, q + macLen, q + macLen + 2) : new byte[0];
        int tpl = aflEnd;
        if ((t[tpl] & 0xFF) != 0x7A) {
            throw new MbusDecodeException(Reason.UNSUPPORTED_SECURITY, String.format("%s: transport layer CI %02X after the AFL", who, t[tpl] & 0xFF));
        }
        need(t, tpl + 6, who);
        int cfg = (t[tpl + 3] & 0xFF) | (t[tpl + 4] & 0xFF) << 8;
        int mode = (cfg >> 8) & 0x1F;
        if (mode != 7) {
            throw new MbusDecodeException(Reason.UNSUPPORTED_SECURITY, who + ": security mode " + mode + " behind an AFL");
        }
        int blocks = (cfg >> 4) & 0x0F;
        int ext = t[tpl + 5] & 0xFF;
        if (((ext >> 4) & 0x03) != 1) {
            throw new MbusDecodeException(Reason.UNSUPPORTED_SECURITY, who + ": key derivation function " + ((ext >> 4) & 3) + " (only A is defined)");
        }
        int encAt = tpl + 6;
        if (encAt + blocks * 16 > t.length || blocks == 0) {
            throw new MbusDecodeException(Reason.BAD_LENGTH, who + ": " + blocks + " encrypted blocks do not fit the telegram");
        }
        byte[] master = keys.apply(link).orElseThrow(() -> new MbusDecodeException(Reason.NO_KEY, "encrypted telegram from " + who + " and no key for it"));
        byte[] id = Arrays.copyOfRange(t, 4, 8);
        byte[] kenc = derive(master, 0x00, t, mcrAt, id);
        byte[] kmac = derive(master, 0x01, t, mcrAt, id);
        byte[] macInput = new byte[1 + 4 + ml.length + (t.length - tpl)];
        macInput[0] = (byte) mcl;
        System.arraycopy(t, mcrAt, macInput, 1, 4);
        System.arraycopy(ml, 0, macInput, 5, ml.length);
        System.arraycopy(t, tpl, macInput, 5 + ml.length, t.length - tpl);
        byte[] computed = Arrays.copyOf(cmac(kmac, macInput), macLen);
        if (!java.security.MessageDigest.isEqual(computed, mac)) {
            throw new MbusDecodeException(Reason.WRONG_KEY, "the key of " + who + " does not authenticate its telegram (AFL MAC mismatch)");
        }
        byte[] plain;
        try {
            Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(kenc, "AES"), new IvParameterSpec(new byte[16]));
            plain = c.doFinal(t, encAt, blocks * 16);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES not available", e);
        }
        if ((plain[0] & 0xFF) != 0x2F || (plain[1] & 0xFF) != 0x2F) {
            throw new MbusDecodeException(Reason.WRONG_KEY, "the key of " + who + " does not decrypt its telegram");
        }
        int rest = t.length - (encAt + blocks * 16);
        byte[] out = new byte[5 + plain.length + rest];
        out[0] = 0x7A;
        out[1] = t[tpl + 1];
        out[2] = t[tpl + 2];
        // configuration field 0: what follows is plain
        System.arraycopy(plain, 0, out, 5, plain.length);
        System.arraycopy(t, encAt + blocks * 16, out, 5 + plain.length, rest);
        return new Opened(out, counter);
    }

    private static void need(byte[] t, int n, String who) throws MbusDecodeException {
        if (t.length < n) {
            throw new MbusDecodeException(Reason.BAD_LENGTH, who + ": security header truncated");
        }
    }

    static byte[] derive(byte[] master, int dc, byte[] t, int mcrAt, byte[] id) {
        byte[] in = new byte[16];
        in[0] = (byte) dc;
        System.arraycopy(t, mcrAt, in, 1, 4);
        System.arraycopy(id, 0, in, 5, 4);
        Arrays.fill(in, 9, 16, (byte) 0x07);
        return cmac(master, in);
    }

    /** AES-CMAC (RFC 4493). */
    static byte[] cmac(byte[] key, byte[] m) {
        try {
            Cipher aes = Cipher.getInstance("AES/ECB/NoPadding");
            aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
            byte[] k1 = dbl(aes.doFinal(new byte[16]));
            byte[] k2 = dbl(k1);
            int n = Math.max(1, (m.length + 15) / 16);
            boolean complete = m.length > 0 && m.length % 16 == 0;
            byte[] last = new byte[16];
            int r = m.length - (n - 1) * 16;
            for (int i = 0; i < 16; i++) {
                int b = i < r ? m[(n - 1) * 16 + i] & 0xFF : i == r ? 0x80 : 0;
                last[i] = (byte) (b ^ (complete ? k1[i] : k2[i]));
            }
            byte[] x = new byte[16];
            for (int j = 0; j < n - 1; j++) {
                for (int i = 0; i < 16; i++) {
                    x[i] ^= m[j * 16 + i];
                }
                x = aes.doFinal(x);
            }
            for (int i = 0; i < 16; i++) {
                x[i] ^= last[i];
            }
            return aes.doFinal(x);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES not available", e);
        }
    }

    private static byte[] dbl(byte[] l) {
        byte[] o = new byte[16];
        int carry = 0;
        for (int i = 15; i >= 0; i--) {
            int v = ((l[i] & 0xFF) << 1) | carry;
            o[i] = (byte) v;
            carry = (l[i] & 0x80) != 0 ? 1 : 0;
        }
        if ((l[0] & 0x80) != 0) {
            o[15] ^= (byte) 0x87;
        }
        return o;
    }
}
