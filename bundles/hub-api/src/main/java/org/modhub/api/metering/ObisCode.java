package org.modhub.api.metering;

/**
 * An OBIS code (IEC 62056-61), the identity of a measured quantity in modhub's metering model:
 * A (medium), B (channel), C (quantity), D (processing), E (tariff/classification), F (storage).
 * Parsed from {@code 1.0.1.8.0.255} or {@code 1-0:1.8.0*255}; five-group codes get F = 255.
 */
public record ObisCode(int a, int b, int c, int d, int e, int f) {
    public ObisCode {
        check(a, "A");
        check(b, "B");
        check(c, "C");
        check(d, "D");
        check(e, "E");
        check(f, "F");
    }

    private static void check(int v, String group) {
        if (v < 0 || v > 255) {
            throw new IllegalArgumentException("OBIS group " + group + " out of 0..255: " + v);
        }
    }

    public static ObisCode parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("OBIS code is null");
        }
        String[] parts = text.trim().split("[.\\-:*]");
        if (parts.length != 5 && parts.length != 6) {
            throw new IllegalArgumentException("not an OBIS code: '" + text + "'");
        }
        int[] g = new int[6];
        g[5] = 255;
        try {
            for (int i = 0; i < parts.length; i++) {
                g[i] = Integer.parseInt(parts[i]);
            }
            return new ObisCode(g[0], g[1], g[2], g[3], g[4], g[5]);
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("not an OBIS code: '" + text + "': " + ex.getMessage(), ex);
        }
    }

    /** The six octets as DLMS carries them as a logical name. */
    public byte[] logicalName() {
        return new byte[] {(byte) a, (byte) b, (byte) c, (byte) d, (byte) e, (byte) f};
    }

    public static ObisCode ofLogicalName(byte[] ln) {
        if (ln == null || ln.length != 6) {
            throw new IllegalArgumentException("a logical name has 6 octets");
        }
        return new ObisCode(ln[0] & 0xFF, ln[1] & 0xFF, ln[2] & 0xFF, ln[3] & 0xFF, ln[4] & 0xFF, ln[5] & 0xFF);
    }

    /** The same quantity with another tariff (group E). */
    public ObisCode withTariff(int tariff) {
        return new ObisCode(a, b, c, d, tariff, f);
    }

    @Override
    public String toString() {
        return a + "." + b + "." + c + "." + d + "." + e + "." + f;
    }
}
