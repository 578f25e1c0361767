package org.modhub.api.han;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A ZigBee install code: 6, 8, 12 or 16 octets followed by their 2-octet CRC (CRC-16/X-25,
 * transmitted least significant octet first). The CRC is checked on construction, so a mistyped code
 * is refused before it reaches the device log.
 */
public final class InstallCode {
    private final byte[] octets;

    private InstallCode(byte[] octets) {
        this.octets = octets;
    }

    /**
     * @param octets code and CRC
     * @throws IllegalArgumentException if the length or the CRC is wrong
     */
    public static InstallCode of(byte[] octets) {
        if (octets == null) {
            throw new IllegalArgumentException("install code is null");
        }
        int codeLength = octets.length - 2;
        if (codeLength != 6 && codeLength != 8 && codeLength != 12 && codeLength != 16) {
            throw new IllegalArgumentException("install code must be 6, 8, 12 or 16 octets plus a 2-octet CRC, got "
                    + octets.length + " octets");
        }
        int crc = crc16x25(octets, codeLength);
        int given = (octets[codeLength] & 0xFF) | (octets[codeLength + 1] & 0xFF) << 8;
        if (crc != given) {
            throw new IllegalArgumentException(String.format("install code CRC mismatch: computed %04X, given %04X", crc, given));
        }
        return new InstallCode(octets.clone());
    }

    /** Parses hex, ignoring spaces and dashes. */
    public static InstallCode parse(String hex) {
        String digits = hex == null ? "" : hex.replaceAll("[\\s-]", "");
        try {
            return of(HexFormat.of().parseHex(digits));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not an install code: '" + hex + "': " + e.getMessage(), e);
        }
    }

    /** Appends the CRC to a bare code; for tools that issue install codes. */
    public static InstallCode withCrc(byte[] code) {
        byte[] all = Arrays.copyOf(code, code.length + 2);
        int crc = crc16x25(code, code.length);
        all[code.length] = (byte) crc;
        all[code.length + 1] = (byte) (crc >>> 8);
        return of(all);
    }

    static int crc16x25(byte[] data, int length) {
        int crc = 0xFFFF;
        for (int i = 0; i < length; i++) {
            crc ^= data[i] & 0xFF;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
            }
        }
        return ~crc & 0xFFFF;
    }

    /** Code and CRC. */
    public byte[] octets() {
        return octets.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InstallCode other && Arrays.equals(other.octets, octets);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(octets);
    }

    /** Hex of code and CRC. Install codes are secrets of the installer's paperwork: log with care. */
    @Override
    public String toString() {
        return HexFormat.of().withUpperCase().formatHex(octets);
    }
}
