package org.modhub.mbus.emulator.internal;

import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * One emulated wired M-Bus slave (EN 13757-2/-3): a primary address, a secondary address and a few
 * registers that advance on every read. Its RSP_UD is a variable data structure with a long header
 * (CI 0x72), optionally encrypted with security mode 5 (AES-128-CBC, IV from the header).
 */
public final class EmulatedMeter {
    /** Faults an emulated meter can be told to show, for the driver's bad-input tests. */
    public enum Fault {
        NONE, BAD_CHECKSUM, BAD_LENGTH, UNKNOWN_VIF, SILENT
    }

    /** EN 13757-3 device types used here. */
    public static final int TYPE_ELECTRICITY = 0x02;
    public static final int TYPE_GAS = 0x03;
    public static final int TYPE_HEAT = 0x04;
    public static final int TYPE_WATER = 0x07;

    private final int primary;
    private final long idBcd; // 8 decimal digits as a number, e.g. 12345678
    private final String manufacturer;
    private final int version;
    private final int type;
    private final byte[] key;
    private volatile Fault fault = Fault.NONE;
    private int access;
    private long energyKwh;
    private long volumeLitres;
    private long reads;

    /**
     * @param key AES-128 key for security mode 5, or null for plain responses
     */
    public EmulatedMeter(int primary, long idBcd, String manufacturer, int version, int type, byte[] key,
            long energyKwh, long volumeLitres) {
        if (primary < 1 || primary > 250) {
            throw new IllegalArgumentException("primary address out of 1..250: " + primary);
        }
        if (idBcd < 0 || idBcd > 99_999_999L) {
            throw new IllegalArgumentException("identification number out of 0..99999999: " + idBcd);
        }
        if (manufacturer == null || !manufacturer.matches("[A-Z]{3}")) {
            throw new IllegalArgumentException("manufacturer must be three letters A-Z: " + manufacturer);
        }
        if (key != null && key.length != 16) {
            throw new IllegalArgumentException("an AES-128 key has 16 octets");
        }
        this.primary = primary;
        this.idBcd = idBcd;
        this.manufacturer = manufacturer;
        this.version = version & 0xFF;
        this.type = type & 0xFF;
        this.key = key == null ? null : key.clone();
        this.energyKwh = energyKwh;
        this.volumeLitres = volumeLitres;
        this.access = (int) (idBcd & 0x7F);
    }

    public int primary() {
        return primary;
    }

    public Fault fault() {
        return fault;
    }

    public void fault(Fault f) {
        this.fault = f == null ? Fault.NONE : f;
    }

    public synchronized long reads() {
        return reads;
    }

    /** The 8 octets of the secondary address as carried on the wire (ID LSB first, MAN, VER, TYPE). */
    public byte[] secondaryAddress() {
        byte[] a = new byte[8];
        byte[] bcd = bcd(idBcd, 4);
        System.arraycopy(bcd, 0, a, 0, 4);
        int man = manufacturerCode(manufacturer);
        a[4] = (byte) man;
        a[5] = (byte) (man >>> 8);
        a[6] = (byte) version;
        a[7] = (byte) type;
        return a;
    }

    /** Whether a selection mask (8 octets, ID nibbles/octets may be wildcards F/FF) selects this meter. */
    public boolean matches(byte[] mask) {
        byte[] mine = secondaryAddress();
        for (int i = 0; i < 4; i++) {
            int m = mask[i] & 0xFF;
            int v = mine[i] & 0xFF;
            if ((m & 0xF0) != 0xF0 && (m & 0xF0) != (v & 0xF0)) {
                return false;
            }
            if ((m & 0x0F) != 0x0F && (m & 0x0F) != (v & 0x0F)) {
                return false;
            }
        }
        if (!((mask[4] & 0xFF) == 0xFF && (mask[5] & 0xFF) == 0xFF) && (mask[4] != mine[4] || mask[5] != mine[5])) {
            return false;
        }
        if ((mask[6] & 0xFF) != 0xFF && mask[6] != mine[6]) {
            return false;
        }
        return (mask[7] & 0xFF) == 0xFF || mask[7] == mine[7];
    }

    /** The RSP_UD long frame answering a REQ_UD2 to {@code address} (the meter's or 0xFD). */
    public synchronized byte[] respond(int address) {
        reads++;
        access = (access + 1) & 0xFF;
        energyKwh += 1;
        volumeLitres += 7;
        ByteArrayOutputStream records = new ByteArrayOutputStream();
        // 04 06: 32-bit integer, energy kWh (E000 0110: 10^(6-3) Wh)
        records.writeBytes(new byte[] {0x04, 0x06});
        records.writeBytes(le(energyKwh, 4));
        // 84 10 06: 32-bit integer, tariff 1, energy kWh
        records.writeBytes(new byte[] {(byte) 0x84, 0x10, 0x06});
        records.writeBytes(le(energyKwh * 2 / 3, 4));
        // 0C 13: 8-digit BCD, volume in litres (E001 0011: 10^(3-6) m³)
        records.writeBytes(new byte[] {0x0C, 0x13});
        records.writeBytes(bcd(volumeLitres, 4));
        // 4C 13: 8-digit BCD, storage number 1, volume (a due-date value)
        records.writeBytes(new byte[] {0x4C, 0x13});
        records.writeBytes(bcd(volumeLitres / 2, 4));
        // 02 59: 16-bit integer, flow temperature 10^-2 °C
        records.writeBytes(new byte[] {0x02, 0x59});
        records.writeBytes(le(6460, 2));
        // 04 2B: 32-bit integer, power W
        records.writeBytes(new byte[] {0x04, 0x2B});
        records.writeBytes(le(1200 + (reads % 10), 4));
        if (fault == Fault.UNKNOWN_VIF) {
            // 04 6F: VIF E110 1111 is reserved in EN 13757-3
            records.writeBytes(new byte[] {0x04, 0x6F, 1, 0, 0, 0});
        }
        byte[] data = records.toByteArray();
        int config = 0;
        if (key != null) {
            int blocks = (data.length + 2 + 15) / 16;
            byte[] plain = new byte[blocks * 16];
            Arrays.fill(plain, (byte) 0x2F);
            System.arraycopy(data, 0, plain, 2, data.length);
            data = encrypt(plain);
            config = (blocks << 4) | (5 << 8);
        }
        ByteArrayOutputStream ud = new ByteArrayOutputStream();
        ud.write(0x08); // C: RSP_UD
        ud.write(address);
        ud.write(0x72); // CI: variable data respond, long header
        ud.writeBytes(secondaryAddress());
        ud.write(access);
        ud.write(0x00); // status
        ud.write(config & 0xFF);
        ud.write(config >>> 8);
        ud.writeBytes(data);
        byte[] frame = Frames.longFrame(ud.toByteArray());
        if (fault == Fault.BAD_CHECKSUM) {
            frame[frame.length - 2] ^= 0x5A;
        } else if (fault == Fault.BAD_LENGTH) {
            frame[1] = (byte) (frame[1] + 3);
            frame[2] = frame[1];
        }
        return frame;
    }

    private byte[] encrypt(byte[] plain) {
        byte[] iv = new byte[16];
        byte[] sa = secondaryAddress();
        // IV (EN 13757-3 mode 5, long header): MAN(2) ID(4) VER TYPE, then the access number 8 times
        iv[0] = sa[4];
        iv[1] = sa[5];
        System.arraycopy(sa, 0, iv, 2, 4);
        iv[6] = sa[6];
        iv[7] = sa[7];
        Arrays.fill(iv, 8, 16, (byte) access);
        try {
            Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
            return c.doFinal(plain);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES not available", e);
        }
    }

    static byte[] le(long v, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (v >>> (8 * i));
        }
        return b;
    }

    static byte[] bcd(long v, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            int lo = (int) (v % 10);
            v /= 10;
            int hi = (int) (v % 10);
            v /= 10;
            b[i] = (byte) ((hi << 4) | lo);
        }
        return b;
    }

    static int manufacturerCode(String m) {
        return ((m.charAt(0) - 64) << 10) | ((m.charAt(1) - 64) << 5) | (m.charAt(2) - 64);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "meter %s %08d v%d type %02X at %d%s", manufacturer, idBcd, version, type, primary,
                key == null ? "" : " (mode 5)") + " sa=" + HexFormat.of().formatHex(secondaryAddress());
    }
}
