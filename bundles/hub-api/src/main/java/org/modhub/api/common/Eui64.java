package org.modhub.api.common;

import java.util.Locale;

/**
 * An 8-octet entity identifier (IEEE EUI-64), as used for every device in the device log, the hub
 * itself and remote parties. Printed as 16 upper-case hex digits in groups of two separated by
 * dashes ({@code 00-0D-6F-00-00-00-00-01}); parsed with or without separators.
 */
public final class Eui64 implements Comparable<Eui64> {
    private final long value;

    private Eui64(long value) {
        this.value = value;
    }

    /** The id whose eight octets, most significant first, are the bytes of {@code value}. */
    public static Eui64 of(long value) {
        return new Eui64(value);
    }

    /** Reads eight octets, most significant first. */
    public static Eui64 of(byte[] octets) {
        if (octets == null || octets.length != 8) {
            throw new IllegalArgumentException("an EUI-64 has 8 octets, got "
                    + (octets == null ? "null" : octets.length));
        }
        long v = 0;
        for (byte b : octets) {
            v = (v << 8) | (b & 0xFF);
        }
        return new Eui64(v);
    }

    /**
     * Parses 16 hex digits, optionally separated by '-', ':' or spaces in groups of two.
     *
     * @throws IllegalArgumentException if the text is not an EUI-64
     */
    public static Eui64 parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("EUI-64 text is null");
        }
        StringBuilder hex = new StringBuilder(16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '-' || c == ':' || c == ' ') {
                continue;
            }
            if (Character.digit(c, 16) < 0) {
                throw new IllegalArgumentException("not an EUI-64: '" + text + "' (bad character '" + c + "')");
            }
            hex.append(c);
        }
        if (hex.length() != 16) {
            throw new IllegalArgumentException("not an EUI-64: '" + text + "' (needs 16 hex digits)");
        }
        return new Eui64(Long.parseUnsignedLong(hex.toString(), 16));
    }

    public long value() {
        return value;
    }

    public byte[] octets() {
        byte[] out = new byte[8];
        for (int i = 7, v = 0; i >= 0; i--, v += 8) {
            out[i] = (byte) (value >>> v);
        }
        return out;
    }

    /** 16 hex digits with no separators. */
    public String toHex() {
        return String.format(Locale.ROOT, "%016X", value);
    }

    @Override
    public int compareTo(Eui64 o) {
        return Long.compareUnsigned(value, o.value);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Eui64 other && other.value == value;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(value);
    }

    @Override
    public String toString() {
        String hex = toHex();
        StringBuilder sb = new StringBuilder(23);
        for (int i = 0; i < 16; i += 2) {
            if (i > 0) {
                sb.append('-');
            }
            sb.append(hex, i, i + 2);
        }
        return sb.toString();
    }
}
