package org.modhub.umi.internal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.modhub.api.common.Eui64;
import org.modhub.api.metering.ObisCode;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.Unit;

/**
 * The messages of IEC 62056-21 (the optical "FLAG" port) that mode C readout uses: sign-on request,
 * identification, acknowledgement/option select, and the data block with its block check character;
 * and the map of its data sets {@code address(value*unit)} onto the hub's metering model. Pure
 * functions; every malformed input gives a typed {@link UmiException}.
 */
public final class Iec21Frames {
    public static final byte SOH = 0x01;
    public static final byte STX = 0x02;
    public static final byte ETX = 0x03;
    public static final byte ACK = 0x06;
    public static final byte NAK = 0x15;
    /** Largest identification line accepted: {@code /XXXZ} + 16 characters + {@code \W} + CR LF, with room. */
    public static final int MAX_IDENTIFICATION = 40;
    /** Largest data block accepted (bytes between STX and ETX). */
    public static final int MAX_DATA_BLOCK = 64 * 1024;

    /** Mode C baud rates by the identification's baud-rate character '0'..'6'. */
    private static final int[] MODE_C_BAUD = {300, 600, 1200, 2400, 4800, 9600, 19200};

    /** The meter's identification message {@code /XXXZ<identification>}. */
    public record Identification(String manufacturer, char baudCharacter, int baudRate, String identification,
            boolean slowReaction) {
    }

    /** One data set of a readout: address, value and unit (empty when the set has none). */
    public record DataSet(String address, String value, String unit) {
        @Override
        public String toString() {
            return address + "(" + value + (unit.isEmpty() ? "" : "*" + unit) + ")";
        }
    }

    /** A unit as written in a data set, in the model: base unit and the power of ten of its prefix. */
    private record ModelUnit(Unit unit, int scaler) {
    }

    private static final Map<String, ModelUnit> UNITS = Map.ofEntries(
            Map.entry("wh", new ModelUnit(Unit.WATT_HOUR, 0)), Map.entry("kwh", new ModelUnit(Unit.WATT_HOUR, 3)),
            Map.entry("mwh", new ModelUnit(Unit.WATT_HOUR, 6)), Map.entry("w", new ModelUnit(Unit.WATT, 0)),
            Map.entry("kw", new ModelUnit(Unit.WATT, 3)), Map.entry("mw", new ModelUnit(Unit.WATT, 6)),
            Map.entry("varh", new ModelUnit(Unit.VAR_HOUR, 0)), Map.entry("kvarh", new ModelUnit(Unit.VAR_HOUR, 3)),
            Map.entry("var", new ModelUnit(Unit.VAR, 0)), Map.entry("kvar", new ModelUnit(Unit.VAR, 3)),
            Map.entry("vah", new ModelUnit(Unit.VOLT_AMPERE_HOUR, 0)),
            Map.entry("kvah", new ModelUnit(Unit.VOLT_AMPERE_HOUR, 3)), Map.entry("va", new ModelUnit(Unit.VOLT_AMPERE, 0)),
            Map.entry("kva", new ModelUnit(Unit.VOLT_AMPERE, 3)), Map.entry("v", new ModelUnit(Unit.VOLT, 0)),
            Map.entry("kv", new ModelUnit(Unit.VOLT, 3)), Map.entry("a", new ModelUnit(Unit.AMPERE, 0)),
            Map.entry("hz", new ModelUnit(Unit.HERTZ, 0)), Map.entry("m3", new ModelUnit(Unit.CUBIC_METRE, 0)),
            Map.entry("m3/h", new ModelUnit(Unit.CUBIC_METRE_PER_HOUR, 0)), Map.entry("l", new ModelUnit(Unit.LITRE, 0)),
            Map.entry("j", new ModelUnit(Unit.JOULE, 0)), Map.entry("kj", new ModelUnit(Unit.JOULE, 3)),
            Map.entry("mj", new ModelUnit(Unit.JOULE, 6)), Map.entry("gj", new ModelUnit(Unit.JOULE, 9)),
            Map.entry("s", new ModelUnit(Unit.SECOND, 0)));

    /** {@code [A-B:]C.D[.E][*F]}; C may be one of the letters C, F, L, P (96..99). */
    private static final Pattern ADDRESS = Pattern.compile(
            "(?:(\\d{1,3})-(\\d{1,3}):)?(\\d{1,3}|[CFLP])\\.(\\d{1,3})(?:\\.(\\d{1,3}))?(?:[*&](\\d{1,3}))?");
    private static final Pattern DECIMAL = Pattern.compile("[-+]?\\d{1,19}(?:\\.\\d{1,18})?");

    private Iec21Frames() {
    }

    /** The sign-on request {@code /?[address]!CR LF}. */
    public static byte[] signOn(String deviceAddress) {
        String a = deviceAddress == null ? "" : deviceAddress;
        if (a.length() > 32 || !a.chars().allMatch(c -> c >= 0x20 && c < 0x7F && c != '/' && c != '!' && c != '?')) {
            throw new IllegalArgumentException("a device address has at most 32 printable characters other than / ! ?");
        }
        return ("/?" + a + "!\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** The acknowledgement/option select {@code ACK 0 Z 0 CR LF}: normal protocol, baud {@code Z}, data readout. */
    public static byte[] readoutAck(char baudCharacter) {
        return new byte[] {ACK, '0', (byte) baudCharacter, '0', '\r', '\n'};
    }

    /** The mode C baud rate of a baud-rate character, or -1. */
    public static int modeCBaud(char z) {
        return z >= '0' && z <= '6' ? MODE_C_BAUD[z - '0'] : -1;
    }

    /**
     * Parses an identification message, CR LF included.
     *
     * @throws UmiException.MalformedIdentificationException if it is not a mode C identification
     */
    public static Identification parseIdentification(byte[] line) throws UmiException.MalformedIdentificationException {
        String s = new String(line, StandardCharsets.US_ASCII);
        String shown = s.replace("\r", "<CR>").replace("\n", "<LF>");
        if (line.length > MAX_IDENTIFICATION) {
            throw new UmiException.MalformedIdentificationException("identification longer than " + MAX_IDENTIFICATION
                    + " bytes");
        }
        if (!s.endsWith("\r\n")) {
            throw new UmiException.MalformedIdentificationException("identification does not end with CR LF: " + shown);
        }
        if (s.length() < 7 || s.charAt(0) != '/') {
            throw new UmiException.MalformedIdentificationException("identification is not /XXXZ<id>: " + shown);
        }
        String manufacturer = s.substring(1, 4);
        if (!manufacturer.chars().allMatch(Character::isLetter) || !manufacturer.chars().allMatch(c -> c < 0x80)) {
            throw new UmiException.MalformedIdentificationException("manufacturer id is not three letters: " + shown);
        }
        char z = s.charAt(4);
        int baud = modeCBaud(z);
        if (baud < 0) {
            throw new UmiException.MalformedIdentificationException("baud-rate character '" + z
                    + "' is not a mode C rate ('0'..'6'): " + shown);
        }
        String id = s.substring(5, s.length() - 2);
        if (id.isEmpty() || id.length() > 19 || !id.chars().allMatch(c -> c >= 0x20 && c < 0x7F && c != '/' && c != '!')) {
            throw new UmiException.MalformedIdentificationException("identification must be 1..16 printable characters"
                    + " (plus an optional \\W enhancement): " + shown);
        }
        return new Identification(manufacturer, z, baud, id, Character.isLowerCase(manufacturer.charAt(2)));
    }

    /** The block check character: XOR of every byte after STX up to and including ETX. */
    public static byte bcc(byte[] block, int from, int to) {
        byte b = 0;
        for (int i = from; i < to; i++) {
            b ^= block[i];
        }
        return b;
    }

    /**
     * Checks a data message's block check character.
     *
     * @param afterStx the bytes after STX up to and including ETX
     * @throws UmiException.BadBccException if {@code bcc} does not match
     */
    public static void checkBcc(byte[] afterStx, byte bcc) throws UmiException.BadBccException {
        byte expected = bcc(afterStx, 0, afterStx.length);
        if (expected != bcc) {
            throw new UmiException.BadBccException(String.format("data block BCC is 0x%02X, its bytes give 0x%02X",
                    bcc & 0xFF, expected & 0xFF));
        }
    }

    /**
     * Parses the data block (the bytes between STX and ETX): data lines of data sets
     * {@code address(value[*unit])}, ended by {@code !} CR LF.
     *
     * @throws UmiException.MalformedReadoutException if it does not follow the syntax
     */
    public static List<DataSet> parseDataBlock(byte[] block) throws UmiException.MalformedReadoutException {
        String s = new String(block, StandardCharsets.US_ASCII);
        List<DataSet> out = new ArrayList<>();
        int i = 0;
        String lastAddress = "";
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\r' || c == '\n') {
                i++;
                continue;
            }
            if (c == '!') {
                String rest = s.substring(i + 1);
                if (!rest.isEmpty() && !rest.equals("\r\n")) {
                    throw new UmiException.MalformedReadoutException("bytes after the end mark '!': " + rest.length());
                }
                return out;
            }
            int open = s.indexOf('(', i);
            if (open < 0) {
                throw new UmiException.MalformedReadoutException("data set without '(' at offset " + i);
            }
            int close = s.indexOf(')', open);
            if (close < 0) {
                throw new UmiException.MalformedReadoutException("data set without ')' at offset " + open);
            }
            String address = s.substring(i, open);
            String inner = s.substring(open + 1, close);
            if (address.length() > 16 || inner.length() > 128 || !printable(address) || !printable(inner)
                    || address.indexOf('(') >= 0 || inner.indexOf('(') >= 0 || address.contains("\r")
                    || address.contains("\n")) {
                throw new UmiException.MalformedReadoutException("malformed data set at offset " + i + ": "
                        + clip(s.substring(i, close + 1)));
            }
            if (address.isEmpty()) {
                address = lastAddress; // a further value of the same address (e.g. a time stamp)
            }
            int star = inner.indexOf('*');
            String value = star < 0 ? inner : inner.substring(0, star);
            String unit = star < 0 ? "" : inner.substring(star + 1);
            if (value.length() > 32 || unit.length() > 16) {
                throw new UmiException.MalformedReadoutException("value or unit too long in " + clip(inner));
            }
            out.add(new DataSet(address, value, unit));
            lastAddress = address;
            i = close + 1;
        }
        throw new UmiException.MalformedReadoutException("data block ends without the end mark '!'");
    }

    private static boolean printable(String s) {
        return s.chars().allMatch(c -> c >= 0x20 && c < 0x7F);
    }

    private static String clip(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    /**
     * The OBIS code of a data set's address ({@code 1.8.0}, {@code 1-0:1.8.0*255}, {@code C.1.0}); A
     * defaults to 1 (electricity), B to 0, E to 0, F to 255.
     *
     * @throws UmiException.MalformedReadoutException if the address is not an OBIS code
     */
    public static ObisCode obis(String address) throws UmiException.MalformedReadoutException {
        Matcher m = ADDRESS.matcher(address);
        if (!m.matches()) {
            throw new UmiException.MalformedReadoutException("address '" + address + "' is not an OBIS code");
        }
        try {
            int a = m.group(1) == null ? 1 : Integer.parseInt(m.group(1));
            int b = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
            String cs = m.group(3);
            int c = switch (cs) {
                case "C" -> 96;
                case "F" -> 97;
                case "L" -> 98;
                case "P" -> 99;
                default -> Integer.parseInt(cs);
            };
            int d = Integer.parseInt(m.group(4));
            int e = m.group(5) == null ? 0 : Integer.parseInt(m.group(5));
            int f = m.group(6) == null ? 255 : Integer.parseInt(m.group(6));
            return new ObisCode(a, b, c, d, e, f);
        } catch (IllegalArgumentException ex) {
            throw new UmiException.MalformedReadoutException("address '" + address + "': " + ex.getMessage());
        }
    }

    /**
     * The metering-model readings of a readout: every data set that carries a unit becomes a reading at
     * {@code instant} (the hub's clock when the readout arrived). Data sets without a unit
     * (identification, date, time, status) are not quantities and are left out.
     *
     * @throws UmiException.UnknownUnitException if a data set has a unit the model does not know
     * @throws UmiException.MalformedReadoutException if a data set with a unit has a bad address or value
     */
    public static List<Reading> toReadings(Eui64 meter, Instant instant, List<DataSet> sets) throws UmiException {
        List<Reading> out = new ArrayList<>();
        for (DataSet ds : sets) {
            if (ds.unit().isEmpty()) {
                continue;
            }
            ModelUnit mu = UNITS.get(ds.unit().toLowerCase(Locale.ROOT));
            if (mu == null) {
                throw new UmiException.UnknownUnitException("data set " + ds + " has unit '" + ds.unit()
                        + "', which the metering model does not know", ds.unit());
            }
            ObisCode obis = obis(ds.address());
            if (!DECIMAL.matcher(ds.value()).matches()) {
                throw new UmiException.MalformedReadoutException("data set " + ds + ": value is not a decimal number");
            }
            BigDecimal v = new BigDecimal(ds.value());
            int scaler = -v.scale() + mu.scaler();
            BigInteger raw = v.unscaledValue();
            if (scaler > 18) {
                raw = raw.multiply(BigInteger.TEN.pow(scaler - 18));
                scaler = 18;
            }
            if (scaler < -18 || raw.bitLength() > 63) {
                throw new UmiException.MalformedReadoutException("data set " + ds + ": value out of range");
            }
            out.add(new Reading(meter, obis, instant, raw.longValueExact(), scaler, mu.unit()));
        }
        return out;
    }
}
