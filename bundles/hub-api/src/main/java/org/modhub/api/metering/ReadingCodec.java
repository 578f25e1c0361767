package org.modhub.api.metering;

import java.io.ByteArrayOutputStream;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.modhub.api.common.Eui64;
import org.modhub.api.messaging.MalformedMessageException;

/**
 * A compact wire form for the register readings of one meter taken in one read (e.g. a periodic read
 * of energy totals, tariffs and power), for the body of a head-end message; the companion of
 * {@link ProfileCodec} for load profiles.
 *
 * <pre>
 * size  field
 *  1    format version (1)
 *  8    device EUI-64
 *  v    base instant, seconds since 1970-01-01T00:00Z (the first reading's)
 *  v    n, number of readings (1..10000)
 *  n×   6 measurand (OBIS logical name), 1 unit (DLMS/COSEM unit code), 1 scaler (signed),
 *       v VarInts.zigzag(instant - base) in seconds, v VarInts.zigzag(raw), v flag mask ({@link ReadingFlag#toMask})
 * </pre>
 * v = unsigned LEB128 varint. Instants are whole seconds (sub-second parts are dropped).
 */
public final class ReadingCodec {
    public static final int FORMAT_VERSION = 1;
    public static final int MAX_READINGS = 10_000;
    /** The application topic of head-end messages whose body is this codec's (one topic naming for the hub). */
    public static final String TOPIC = "metering/readings";

    private ReadingCodec() {
    }

    /**
     * @throws IllegalArgumentException if there are no readings, too many, or readings of several devices
     */
    public static byte[] encode(List<Reading> readings) {
        if (readings == null || readings.isEmpty()) {
            throw new IllegalArgumentException("no readings");
        }
        if (readings.size() > MAX_READINGS) {
            throw new IllegalArgumentException("more than " + MAX_READINGS + " readings in one message");
        }
        Reading first = readings.get(0);
        long base = first.instant().getEpochSecond();
        if (base < 0) {
            throw new IllegalArgumentException("reading before 1970: " + first.instant());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 + readings.size() * 14);
        out.write(FORMAT_VERSION);
        out.writeBytes(first.device().octets());
        VarInts.write(out, base);
        VarInts.write(out, readings.size());
        for (int i = 0; i < readings.size(); i++) {
            Reading r = readings.get(i);
            if (!r.device().equals(first.device())) {
                throw new IllegalArgumentException("reading " + i + " is of another device");
            }
            out.writeBytes(r.measurand().logicalName());
            out.write(r.unit().dlmsCode());
            out.write(r.scaler());
            VarInts.write(out, VarInts.zigzag(Math.subtractExact(r.instant().getEpochSecond(), base)));
            VarInts.write(out, VarInts.zigzag(r.raw()));
            VarInts.write(out, ReadingFlag.toMask(r.flags()));
        }
        return out.toByteArray();
    }

    /** @throws MalformedMessageException if the bytes are not exactly one well-formed message */
    public static List<Reading> decode(byte[] bytes) throws MalformedMessageException {
        if (bytes == null || bytes.length < 11) {
            throw new MalformedMessageException("readings too short: " + (bytes == null ? 0 : bytes.length) + " bytes");
        }
        if ((bytes[0] & 0xFF) != FORMAT_VERSION) {
            throw new MalformedMessageException("unknown readings format version " + (bytes[0] & 0xFF));
        }
        byte[] eui = new byte[8];
        System.arraycopy(bytes, 1, eui, 0, 8);
        Eui64 device = Eui64.of(eui);
        int[] pos = {9};
        long base = VarInts.read(bytes, pos, "readings");
        long n = VarInts.read(bytes, pos, "readings");
        if (n < 1 || n > MAX_READINGS) {
            throw new MalformedMessageException("reading count " + n + " out of 1.." + MAX_READINGS);
        }
        List<Reading> out = new ArrayList<>((int) n);
        for (int i = 0; i < n; i++) {
            if (pos[0] + 8 > bytes.length) {
                throw new MalformedMessageException("readings truncated in reading " + i);
            }
            byte[] ln = new byte[6];
            System.arraycopy(bytes, pos[0], ln, 0, 6);
            int unitCode = bytes[pos[0] + 6] & 0xFF;
            int scaler = bytes[pos[0] + 7];
            pos[0] += 8;
            Unit unit = Unit.fromDlms(unitCode)
                    .orElseThrow(() -> new MalformedMessageException("unknown DLMS unit code " + unitCode));
            long dt = VarInts.unzigzag(VarInts.read(bytes, pos, "readings"));
            long raw = VarInts.unzigzag(VarInts.read(bytes, pos, "readings"));
            long mask = VarInts.read(bytes, pos, "readings");
            if (mask > 0xFF) {
                throw new MalformedMessageException("flag mask " + mask + " out of range");
            }
            try {
                out.add(new Reading(device, ObisCode.ofLogicalName(ln), Instant.ofEpochSecond(Math.addExact(base, dt)),
                        raw, scaler, unit, ReadingFlag.fromMask((int) mask)));
            } catch (ArithmeticException | DateTimeException | IllegalArgumentException e) {
                throw new MalformedMessageException("reading " + i + ": " + e.getMessage(), e);
            }
        }
        if (pos[0] != bytes.length) {
            throw new MalformedMessageException((bytes.length - pos[0]) + " bytes after the readings");
        }
        return out;
    }
}
