package org.modhub.mbus.link.internal;

import java.io.ByteArrayOutputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.modhub.api.common.Eui64;
import org.modhub.mbus.link.internal.MbusDecodeException.Reason;
import org.openmuc.jmbus.DecodingException;
import org.openmuc.jmbus.EncryptionMode;
import org.openmuc.jmbus.SecondaryAddress;
import org.openmuc.jmbus.VariableDataStructure;

/**
 * Frame checks the hub does itself (jMBus 3.3.0 does not verify the wired checksum, nor wireless
 * block CRCs), then the application layer through jMBus's {@link VariableDataStructure}, with the
 * device's key from the key store. Every refusal is a {@link MbusDecodeException} with its reason.
 */
public final class Telegrams {
    /** Largest wired long frame: L is one octet. */
    static final int MAX_WIRED = 255 + 6;

    private Telegrams() {
    }

    /**
     * Decodes a wired RSP_UD long frame ({@code 68 L L 68 C A CI ... CS 16}) with a long header
     * (CI 0x72).
     *
     * @param keys the AES-128 key of a secondary address, if the key store holds one
     */
    public static Telegram decodeWired(byte[] frame, Function<SecondaryAddress, Optional<byte[]>> keys)
            throws MbusDecodeException {
        if (frame == null || frame.length < 6) {
            throw new MbusDecodeException(Reason.BAD_LENGTH, "frame of " + (frame == null ? 0 : frame.length) + " octets is too short");
        }
        if ((frame[0] & 0xFF) != 0x68 || (frame[3] & 0xFF) != 0x68) {
            throw new MbusDecodeException(Reason.MALFORMED, String.format("not a long frame (start %02X)", frame[0] & 0xFF));
        }
        int l = frame[1] & 0xFF;
        if (frame[2] != frame[1]) {
            throw new MbusDecodeException(Reason.BAD_LENGTH, "length fields differ: " + l + " and " + (frame[2] & 0xFF));
        }
        if (frame.length != l + 6) {
            throw new MbusDecodeException(Reason.BAD_LENGTH, "length field " + l + " but " + frame.length + " octets (expected " + (l + 6) + ")");
        }
        if ((frame[l + 5] & 0xFF) != 0x16) {
            throw new MbusDecodeException(Reason.MALFORMED, "no stop character");
        }
        int cs = 0;
        for (int i = 4; i < 4 + l; i++) {
            cs += frame[i] & 0xFF;
        }
        if ((cs & 0xFF) != (frame[4 + l] & 0xFF)) {
            throw new MbusDecodeException(Reason.BAD_CHECKSUM, String.format("checksum %02X, computed %02X", frame[4 + l] & 0xFF, cs & 0xFF));
        }
        if (l < 3 || (frame[4] & 0x4F) != 0x08) {
            throw new MbusDecodeException(Reason.MALFORMED, String.format("C field %02X is not RSP_UD", frame[4] & 0xFF));
        }
        int ci = frame[6] & 0xFF;
        if (ci != 0x72) {
            throw new MbusDecodeException(Reason.MALFORMED, String.format("CI %02X: only variable data with a long header (72) is read", ci));
        }
        if (l < 3 + 12) {
            throw new MbusDecodeException(Reason.BAD_LENGTH, "long header truncated");
        }
        SecondaryAddress address = SecondaryAddress.newFromLongHeader(frame, 7);
        // jMBus 3.3.0 looks the key up by the address given here, and builds the mode-5 IV right only
        // from an address in wireless order (MAN ID VER TYPE): give it the header's address so
        byte[] h = address.asByteArray();
        byte[] wireless = {h[4], h[5], h[0], h[1], h[2], h[3], h[6], h[7]};
        SecondaryAddress link = SecondaryAddress.newFromWMBusHeader(wireless, 0);
        Map<SecondaryAddress, byte[]> keyMap = new HashMap<>();
        keys.apply(address).ifPresent(k -> keyMap.put(link, k));
        VariableDataStructure vds = new VariableDataStructure(frame, 6, l - 2, link, keyMap);
        decode(vds, address);
        return telegram(vds, address);
    }

    /**
     * Decodes a wireless M-Bus telegram (EN 13757-4), from its L field on.
     *
     * @param withBlockCrcs whether the frame still carries its frame format A block CRCs (raw
     *        receivers); transceivers in their usual modes remove them
     */
    public static Telegram decodeWireless(byte[] frame, boolean withBlockCrcs,
            Function<SecondaryAddress, Optional<byte[]>> keys) throws MbusDecodeException {
        byte[] t = withBlockCrcs ? stripFormatA(frame) : frame;
        if (t == null || t.length < 11) {
            throw new MbusDecodeException(Reason.BAD_LENGTH, "telegram of " + (t == null ? 0 : t.length) + " octets is too short");
        }
        int l = t[0] & 0xFF;
        if (t.length != l + 1) {
            throw new MbusDecodeException(Reason.BAD_LENGTH, "L field " + l + " but " + (t.length - 1) + " octets follow it");
        }
        int c = t[1] & 0xFF;
        if (c != 0x44 && c != 0x46 && c != 0x08) {
            throw new MbusDecodeException(Reason.MALFORMED, String.format("C field %02X is not SND_NR, SND_IR or RSP_UD", c));
        }
        int ci = t[10] & 0xFF;
        if (ci == 0x8C || ci == 0x8D || ci == 0x90) {
            SecondaryAddress link7 = SecondaryAddress.newFromWMBusHeader(t, 2);
            Mode7.Opened opened = Mode7.open(t, link7, keys);
            byte[] tpl = opened.plainTpl();
            VariableDataStructure vds = new VariableDataStructure(tpl, 0, tpl.length, link7, new HashMap<>());
            decode(vds, link7);
            return new Telegram(link7, eui(link7), link7.getDeviceType().getId(), vds.getAccessNumber(), vds.getStatus(),
                    EncryptionMode.AES_CBC_IV_0, vds.getDataRecords(), opened.counter());
        }
        if (ci != 0x7A && ci != 0x72 && ci != 0x78) {
            throw new MbusDecodeException(Reason.MALFORMED, String.format("CI %02X is not a data telegram", ci));
        }
        SecondaryAddress link = SecondaryAddress.newFromWMBusHeader(t, 2);
        Map<SecondaryAddress, byte[]> keyMap = new HashMap<>();
        keys.apply(link).ifPresent(k -> keyMap.put(link, k));
        VariableDataStructure vds = new VariableDataStructure(t, 10, t.length - 10, link, keyMap);
        decode(vds, link);
        return telegram(vds, ci == 0x72 && vds.getSecondaryAddress() != null ? vds.getSecondaryAddress() : link);
    }

    private static void decode(VariableDataStructure vds, SecondaryAddress address) throws MbusDecodeException {
        try {
            vds.decode();
        } catch (DecodingException e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("not registered") || m.contains("was registered")) {
                throw new MbusDecodeException(Reason.NO_KEY, "encrypted telegram from " + name(address) + " and no key for it", e);
            }
            if (m.contains("Wrong") || m.contains("Decryption unsuccessful")) {
                throw new MbusDecodeException(Reason.WRONG_KEY, "the key of " + name(address) + " does not decrypt its telegram", e);
            }
            if (m.toLowerCase(java.util.Locale.ROOT).contains("unsupported") || m.contains("not supported")) {
                throw new MbusDecodeException(Reason.UNSUPPORTED_SECURITY, name(address) + ": " + m, e);
            }
            throw new MbusDecodeException(Reason.MALFORMED, name(address) + ": " + m, e);
        } catch (RuntimeException e) { // jMBus indexes past the end of truncated records
            throw new MbusDecodeException(Reason.BAD_LENGTH, name(address) + ": truncated data records (" + e + ")", e);
        }
        EncryptionMode mode = vds.getEncryptionMode();
        if (mode != null && mode != EncryptionMode.NONE && mode != EncryptionMode.AES_CBC_IV) {
            throw new MbusDecodeException(Reason.UNSUPPORTED_SECURITY, name(address) + ": security mode " + mode.getId() + " not implemented");
        }
    }

    private static Telegram telegram(VariableDataStructure vds, SecondaryAddress address) {
        return new Telegram(address, eui(address), address.getDeviceType().getId(), vds.getAccessNumber(), vds.getStatus(),
                vds.getEncryptionMode() == null ? EncryptionMode.NONE : vds.getEncryptionMode(), vds.getDataRecords(), -1);
    }

    /** A device name for messages: manufacturer and identification number, never key material. */
    static String name(SecondaryAddress a) {
        return a.getManufacturerId() + " " + a.getDeviceId();
    }

    /**
     * The hub identity of an M-Bus device: its 8-octet secondary address read as a number, most
     * significant first: manufacturer code (2 octets), identification number (8 BCD digits as
     * printed), version, device type. E.g. LSE 13346376 version 0x17 water (07):
     * {@code 32-65-13-34-63-76-17-07}.
     */
    public static Eui64 eui(SecondaryAddress a) {
        byte[] wire = a.asByteArray();
        byte[] o = new byte[8];
        if (a.isLongHeader()) { // ID(4, LSB first) MAN(2) VER TYPE
            o[0] = wire[5];
            o[1] = wire[4];
            for (int i = 0; i < 4; i++) {
                o[2 + i] = wire[3 - i];
            }
        } else { // MAN(2) ID(4, LSB first) VER TYPE
            o[0] = wire[1];
            o[1] = wire[0];
            for (int i = 0; i < 4; i++) {
                o[2 + i] = wire[5 - i];
            }
        }
        o[6] = wire[6];
        o[7] = wire[7];
        return Eui64.of(o);
    }

    /** Parses a secondary address written as 16 hex digits in {@link #eui} order. */
    public static byte[] wireOfEui(Eui64 eui) {
        byte[] o = eui.octets();
        byte[] w = new byte[8]; // long-header order, as a selection mask
        for (int i = 0; i < 4; i++) {
            w[i] = o[5 - i];
        }
        w[4] = o[1];
        w[5] = o[0];
        w[6] = o[6];
        w[7] = o[7];
        return w;
    }

    /**
     * Removes the block CRCs of frame format A (EN 13757-4): a first block of 10 octets (L C M A),
     * then blocks of 16 octets, the last one shorter, each followed by a 2-octet CRC.
     */
    static byte[] stripFormatA(byte[] raw) throws MbusDecodeException {
        if (raw == null || raw.length < 12) {
            throw new MbusDecodeException(Reason.BAD_LENGTH, "frame too short for a first block and its CRC");
        }
        int l = raw[0] & 0xFF;
        int dataAfterFirst = l - 9;
        if (dataAfterFirst < 0) {
            throw new MbusDecodeException(Reason.BAD_LENGTH, "L field " + l + " shorter than the link header");
        }
        int blocks = (dataAfterFirst + 15) / 16;
        int expected = 10 + 2 + dataAfterFirst + 2 * blocks;
        if (raw.length != expected) {
            throw new MbusDecodeException(Reason.BAD_LENGTH, "L field " + l + " needs " + expected + " octets with block CRCs, got " + raw.length);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(l + 1);
        checkCrc(raw, 0, 10, 0);
        out.write(raw, 0, 10);
        int pos = 12;
        for (int b = 0; b < blocks; b++) {
            int n = Math.min(16, dataAfterFirst - b * 16);
            checkCrc(raw, pos, n, b + 1);
            out.write(raw, pos, n);
            pos += n + 2;
        }
        return out.toByteArray();
    }

    private static void checkCrc(byte[] raw, int from, int n, int block) throws MbusDecodeException {
        int crc = crc(raw, from, n);
        int given = ((raw[from + n] & 0xFF) << 8) | (raw[from + n + 1] & 0xFF);
        if (crc != given) {
            throw new MbusDecodeException(Reason.BAD_CHECKSUM, String.format("block %d CRC %04X, computed %04X", block, given, crc));
        }
    }

    /** EN 13757-4 CRC: polynomial 0x3D65, initial 0, final complement, most significant bit first. */
    static int crc(byte[] data, int from, int n) {
        int crc = 0;
        for (int i = from; i < from + n; i++) {
            crc ^= (data[i] & 0xFF) << 8;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x3D65 : crc << 1;
            }
        }
        return ~crc & 0xFFFF;
    }
}
