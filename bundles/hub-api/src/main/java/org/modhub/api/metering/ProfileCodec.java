package org.modhub.api.metering;

import java.io.ByteArrayOutputStream;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.modhub.api.common.Eui64;
import org.modhub.api.messaging.MalformedMessageException;

/**
 * A compact wire form for a run of load-profile samples of one meter and measurand (e.g. a day's 48
 * half-hourly values), for the body of a head-end message. One header names the series; each value is
 * the zigzag varint of its difference from the previous one, so typical half-hourly consumption costs
 * one or two bytes per interval. Gaps and flagged samples are listed once after the values.
 *
 * <pre>
 * size  field
 *  1    format version (1)
 *  8    device EUI-64
 *  6    measurand, OBIS logical name
 *  1    unit, DLMS/COSEM unit code
 *  1    scaler, signed
 *  v    interval length in seconds (1..86400)
 *  v    end of the first interval, seconds since 1970-01-01T00:00Z
 *  v    n, number of samples (1..100000)
 *  n×v  VarInts.zigzag(raw[i] - raw[i-1]), with raw[-1] = 0
 *  v    k, number of exceptions (0..n)
 *  k×   v index delta (index minus the previous exception's index, or the index for the first),
 *       v missing intervals before this sample (its end = previous end + interval × (1 + missing)),
 *       v flag mask ({@link ReadingFlag#toMask})
 * </pre>
 * v = unsigned LEB128 varint (protobuf style). Every sample of a run must share device, measurand,
 * interval, unit and scaler, with interval ends increasing on the interval grid.
 */
public final class ProfileCodec {
    public static final int FORMAT_VERSION = 1;
    public static final int MAX_SAMPLES = 100_000;
    /** The application topic of head-end messages whose body is one run of this codec. */
    public static final String TOPIC = "metering/profile";

    private ProfileCodec() {
    }

    /**
     * Encodes one run of samples, oldest first.
     *
     * @throws IllegalArgumentException if the samples are empty, mixed, out of order or off the grid
     */
    public static byte[] encode(List<ProfileSample> samples) {
        if (samples == null || samples.isEmpty()) {
            throw new IllegalArgumentException("no samples");
        }
        if (samples.size() > MAX_SAMPLES) {
            throw new IllegalArgumentException("more than " + MAX_SAMPLES + " samples in one run");
        }
        ProfileSample first = samples.get(0);
        long intervalS = first.interval().getSeconds();
        if (first.interval().getNano() != 0) {
            throw new IllegalArgumentException("interval is not whole seconds: " + first.interval());
        }
        if (first.intervalEnd().getNano() != 0 || first.intervalEnd().getEpochSecond() < 0) {
            throw new IllegalArgumentException("interval end is not a whole second after 1970: " + first.intervalEnd());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(32 + samples.size() * 2);
        out.write(FORMAT_VERSION);
        out.writeBytes(first.device().octets());
        out.writeBytes(first.measurand().logicalName());
        out.write(first.unit().dlmsCode());
        out.write(first.scaler());
        VarInts.write(out, intervalS);
        VarInts.write(out, first.intervalEnd().getEpochSecond());
        VarInts.write(out, samples.size());
        ByteArrayOutputStream exceptions = new ByteArrayOutputStream();
        int exceptionCount = 0;
        int lastExceptionIndex = 0;
        long previousRaw = 0;
        long previousEnd = first.intervalEnd().getEpochSecond() - intervalS;
        for (int i = 0; i < samples.size(); i++) {
            ProfileSample s = samples.get(i);
            if (!s.device().equals(first.device()) || !s.measurand().equals(first.measurand())
                    || !s.interval().equals(first.interval()) || s.unit() != first.unit() || s.scaler() != first.scaler()) {
                throw new IllegalArgumentException("sample " + i + " is not of the same series as the first");
            }
            long end = s.intervalEnd().getEpochSecond();
            long step = end - previousEnd;
            if (s.intervalEnd().getNano() != 0 || step <= 0 || step % intervalS != 0) {
                throw new IllegalArgumentException("sample " + i + " ends at " + s.intervalEnd()
                        + ", not after the previous one on the " + first.interval() + " grid");
            }
            long missing = step / intervalS - 1;
            int mask = ReadingFlag.toMask(s.flags());
            if (missing > 0 || mask != 0) {
                VarInts.write(exceptions, i - lastExceptionIndex);
                VarInts.write(exceptions, missing);
                VarInts.write(exceptions, mask);
                lastExceptionIndex = i;
                exceptionCount++;
            }
            VarInts.write(out, VarInts.zigzag(Math.subtractExact(s.raw(), previousRaw)));
            previousRaw = s.raw();
            previousEnd = end;
        }
        VarInts.write(out, exceptionCount);
        out.writeBytes(exceptions.toByteArray());
        return out.toByteArray();
    }

    /**
     * Decodes one run of samples.
     *
     * @throws MalformedMessageException if the bytes are not exactly one well-formed run
     */
    public static List<ProfileSample> decode(byte[] bytes) throws MalformedMessageException {
        if (bytes == null || bytes.length < 20) {
            throw new MalformedMessageException("profile too short: " + (bytes == null ? 0 : bytes.length) + " bytes");
        }
        int[] pos = {0};
        int version = bytes[pos[0]++] & 0xFF;
        if (version != FORMAT_VERSION) {
            throw new MalformedMessageException("unknown profile format version " + version);
        }
        byte[] eui = new byte[8];
        System.arraycopy(bytes, 1, eui, 0, 8);
        byte[] ln = new byte[6];
        System.arraycopy(bytes, 9, ln, 0, 6);
        pos[0] = 15;
        Eui64 device = Eui64.of(eui);
        ObisCode measurand = ObisCode.ofLogicalName(ln);
        int unitCode = bytes[pos[0]++] & 0xFF;
        Unit unit = Unit.fromDlms(unitCode)
                .orElseThrow(() -> new MalformedMessageException("unknown DLMS unit code " + unitCode));
        int scaler = bytes[pos[0]++];
        long intervalS = VarInts.read(bytes, pos, "profile");
        if (intervalS < 1 || intervalS > 86_400) {
            throw new MalformedMessageException("interval " + intervalS + " s out of 1..86400");
        }
        long end = VarInts.read(bytes, pos, "profile");
        long n = VarInts.read(bytes, pos, "profile");
        if (n < 1 || n > MAX_SAMPLES) {
            throw new MalformedMessageException("sample count " + n + " out of 1.." + MAX_SAMPLES);
        }
        long[] raw = new long[(int) n];
        long previous = 0;
        for (int i = 0; i < n; i++) {
            try {
                previous = Math.addExact(previous, VarInts.unzigzag(VarInts.read(bytes, pos, "profile")));
            } catch (ArithmeticException e) {
                throw new MalformedMessageException("sample " + i + " overflows a 64-bit value");
            }
            raw[i] = previous;
        }
        long k = VarInts.read(bytes, pos, "profile");
        if (k < 0 || k > n) {
            throw new MalformedMessageException("exception count " + k + " out of 0.." + n);
        }
        long[] missing = new long[(int) n];
        int[] masks = new int[(int) n];
        long index = 0;
        for (int j = 0; j < k; j++) {
            long delta = VarInts.read(bytes, pos, "profile");
            index += delta;
            if ((j > 0 && delta == 0) || index < 0 || index >= n) {
                throw new MalformedMessageException("exception " + j + " names sample " + index + " of " + n);
            }
            long gap = VarInts.read(bytes, pos, "profile");
            long mask = VarInts.read(bytes, pos, "profile");
            if (gap < 0 || gap > 10L * MAX_SAMPLES || mask < 0 || mask > 0xFF) {
                throw new MalformedMessageException("exception " + j + " has gap " + gap + " and mask " + mask);
            }
            missing[(int) index] = gap;
            masks[(int) index] = (int) mask;
        }
        if (pos[0] != bytes.length) {
            throw new MalformedMessageException((bytes.length - pos[0]) + " bytes after the profile");
        }
        Duration interval = Duration.ofSeconds(intervalS);
        List<ProfileSample> out = new ArrayList<>((int) n);
        try {
            long t = end - intervalS;
            for (int i = 0; i < n; i++) {
                t = Math.addExact(t, Math.multiplyExact(intervalS, 1 + missing[i]));
                Set<ReadingFlag> flags = ReadingFlag.fromMask(masks[i]);
                out.add(new ProfileSample(device, measurand, Instant.ofEpochSecond(t), interval, raw[i], scaler, unit,
                        flags));
            }
        } catch (ArithmeticException | DateTimeException | IllegalArgumentException e) {
            throw new MalformedMessageException("malformed profile: " + e.getMessage(), e);
        }
        return out;
    }
}
