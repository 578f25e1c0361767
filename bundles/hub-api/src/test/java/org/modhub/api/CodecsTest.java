package org.modhub.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.modhub.api.cloud.KuraDataCodec;
import org.modhub.api.common.Eui64;
import org.modhub.api.messaging.MalformedMessageException;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.ProfileCodec;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.ReadingFlag;
import org.modhub.api.metering.Unit;

class CodecsTest {
    static final Eui64 METER = Eui64.parse("00-0D-6F-00-00-00-00-2A");

    @Test
    void kuraDataRoundTripKeepsIdTimestampAndBodyBytes() throws Exception {
        byte[] body = new byte[] {0, 1, 2, (byte) 0xFF, 0x1F, (byte) 0x8B};
        Instant at = Instant.parse("2026-11-21T10:15:30.123Z");
        byte[] wire = KuraDataCodec.encode("m-42", at, body);
        assertFalse(KuraDataCodec.isGzip(wire), "tiny payloads are not gzip'd");
        KuraDataCodec.DataMessage d = KuraDataCodec.decode(wire);
        assertEquals("m-42", d.messageId());
        assertEquals(at, d.timestamp().orElseThrow());
        assertArrayEquals(body, d.body());
        assertArrayEquals(wire, KuraDataCodec.encode("m-42", at, body), "deterministic");
        assertEquals("acct/hub/APP/x/y", KuraDataCodec.dataTopic("acct", "hub", "APP/x/y"));
    }

    @Test
    void kuraDataIsGzippedWhenSmaller() throws Exception {
        byte[] body = new byte[4000];
        Arrays.fill(body, (byte) 'a');
        byte[] wire = KuraDataCodec.encode("id", Instant.EPOCH, body);
        assertTrue(KuraDataCodec.isGzip(wire));
        assertTrue(wire.length < 200, "compressed: " + wire.length);
        assertArrayEquals(body, KuraDataCodec.decode(wire).body());
        assertArrayEquals(wire, KuraDataCodec.encode("id", Instant.EPOCH, body), "gzip is deterministic");
    }

    @Test
    void kuraDataDecoderRejectsEveryTruncationAndGarbage() {
        byte[] wire = KuraDataCodec.encode("abc", Instant.ofEpochMilli(1_700_000_000_000L), new byte[] {9, 8, 7});
        for (int n = 1; n < wire.length; n++) {
            byte[] cut = Arrays.copyOf(wire, n);
            try {
                KuraDataCodec.decode(cut);
                // a cut on a field boundary is a valid (shorter) payload; it must not lose bytes silently
            } catch (MalformedMessageException expected) {
                // fine
            }
        }
        assertThrows(MalformedMessageException.class, () -> KuraDataCodec.decode(new byte[] {(byte) 0x80}));
        assertThrows(MalformedMessageException.class, () -> KuraDataCodec.decode(new byte[] {0x07}));
        assertThrows(MalformedMessageException.class, () -> KuraDataCodec.decode(new byte[] {0x0A, 0x05, 1}));
        assertThrows(MalformedMessageException.class, () -> KuraDataCodec.decode(new byte[] {0x1F, (byte) 0x8B, 1, 2}));
        assertThrows(MalformedMessageException.class, () -> KuraDataCodec.decode(null));
        Random r = new Random(7);
        for (int i = 0; i < 2000; i++) {
            byte[] junk = new byte[r.nextInt(40)];
            r.nextBytes(junk);
            try {
                KuraDataCodec.decode(junk);
            } catch (MalformedMessageException expected) {
                // typed refusal only: no other exception escapes
            }
        }
    }

    static List<ProfileSample> day(Instant start, long seed) {
        Random r = new Random(seed);
        List<ProfileSample> out = new ArrayList<>();
        for (int i = 1; i <= 48; i++) {
            out.add(new ProfileSample(METER, Measurands.ACTIVE_ENERGY_IMPORT, start.plus(Duration.ofMinutes(30L * i)),
                    Duration.ofMinutes(30), 100 + r.nextInt(900), 0, Unit.WATT_HOUR, Set.of()));
        }
        return out;
    }

    @Test
    void profileRoundTripIsExactAndCompact() throws Exception {
        List<ProfileSample> samples = day(Instant.parse("2026-11-21T00:00:00Z"), 1);
        byte[] wire = ProfileCodec.encode(samples);
        assertEquals(samples, ProfileCodec.decode(wire));
        assertTrue(wire.length <= 20 + 8 + 48 * 2, "compact: " + wire.length + " bytes");
    }

    @Test
    void profileKeepsGapsFlagsNegativeValuesAndScaler() throws Exception {
        Instant t0 = Instant.parse("2026-11-21T00:30:00Z");
        Duration hh = Duration.ofMinutes(30);
        List<ProfileSample> samples = List.of(
                new ProfileSample(METER, Measurands.ACTIVE_ENERGY_EXPORT, t0, hh, -5, -3, Unit.WATT_HOUR, Set.of()),
                new ProfileSample(METER, Measurands.ACTIVE_ENERGY_EXPORT, t0.plus(hh), hh, Long.MAX_VALUE / 2, -3,
                        Unit.WATT_HOUR, Set.of(ReadingFlag.ESTIMATED, ReadingFlag.POWER_DOWN)),
                new ProfileSample(METER, Measurands.ACTIVE_ENERGY_EXPORT, t0.plus(hh.multipliedBy(5)), hh,
                        Long.MIN_VALUE / 2, -3, Unit.WATT_HOUR, Set.of()),
                new ProfileSample(METER, Measurands.ACTIVE_ENERGY_EXPORT, t0.plus(hh.multipliedBy(6)), hh, 0, -3,
                        Unit.WATT_HOUR, Set.of(ReadingFlag.MISSING)));
        assertEquals(samples, ProfileCodec.decode(ProfileCodec.encode(samples)));
    }

    @Test
    void profileEncoderRefusesMixedOrUnorderedRuns() {
        List<ProfileSample> samples = new ArrayList<>(day(Instant.parse("2026-11-21T00:00:00Z"), 2));
        samples.set(3, samples.get(2));
        assertThrows(IllegalArgumentException.class, () -> ProfileCodec.encode(samples));
        List<ProfileSample> other = new ArrayList<>(day(Instant.parse("2026-11-21T00:00:00Z"), 2));
        ProfileSample s = other.get(5);
        other.set(5, new ProfileSample(s.device(), s.measurand(), s.intervalEnd(), s.interval(), s.raw(), 1, s.unit(),
                s.flags()));
        assertThrows(IllegalArgumentException.class, () -> ProfileCodec.encode(other));
        assertThrows(IllegalArgumentException.class, () -> ProfileCodec.encode(List.of()));
    }

    @Test
    void profileDecoderRejectsEveryTruncationTrailingBytesAndGarbage() {
        byte[] wire = ProfileCodec.encode(day(Instant.parse("2026-11-21T00:00:00Z"), 3));
        for (int n = 0; n < wire.length; n++) {
            byte[] cut = Arrays.copyOf(wire, n);
            assertThrows(MalformedMessageException.class, () -> ProfileCodec.decode(cut), "cut at " + n);
        }
        byte[] longer = Arrays.copyOf(wire, wire.length + 1);
        assertThrows(MalformedMessageException.class, () -> ProfileCodec.decode(longer));
        byte[] badVersion = wire.clone();
        badVersion[0] = 9;
        assertThrows(MalformedMessageException.class, () -> ProfileCodec.decode(badVersion));
        byte[] badUnit = wire.clone();
        badUnit[15] = (byte) 200;
        assertThrows(MalformedMessageException.class, () -> ProfileCodec.decode(badUnit));
        Random r = new Random(11);
        for (int i = 0; i < 5000; i++) {
            byte[] junk = wire.clone();
            junk[r.nextInt(junk.length)] = (byte) r.nextInt(256);
            try {
                ProfileCodec.decode(junk);
            } catch (MalformedMessageException expected) {
                // typed refusal only
            }
        }
    }
}
