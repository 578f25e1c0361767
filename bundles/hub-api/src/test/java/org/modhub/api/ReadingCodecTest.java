package org.modhub.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.modhub.api.common.Eui64;
import org.modhub.api.messaging.MalformedMessageException;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.ReadingCodec;
import org.modhub.api.metering.ReadingFlag;
import org.modhub.api.metering.Unit;

class ReadingCodecTest {
    static final Eui64 M = Eui64.parse("00-11-22-33-44-55-66-77");
    static final Instant T = Instant.parse("2026-11-22T05:00:00Z");

    @Test
    void roundTrip() throws Exception {
        List<Reading> r = List.of(new Reading(M, Measurands.ACTIVE_ENERGY_IMPORT, T, 12_345_678, 0, Unit.WATT_HOUR),
                new Reading(M, Measurands.ACTIVE_ENERGY_IMPORT.withTariff(1), T.plusSeconds(1), 1005, 2, Unit.WATT_HOUR),
                new Reading(M, Measurands.ACTIVE_POWER_EXPORT, T.minusSeconds(3), -200, 0, Unit.WATT,
                        Set.of(ReadingFlag.ESTIMATED)));
        byte[] b = ReadingCodec.encode(r);
        assertEquals(r, ReadingCodec.decode(b));
        // header 1 + 8 + 5 + 1; each reading 8 + varints (dt, raw, flags): 1+4+1, 1+2+1, 1+2+1
        assertEquals(15 + 14 + 12 + 12, b.length);
    }

    @Test
    void malformedIsTyped() {
        byte[] b = ReadingCodec.encode(List.of(new Reading(M, Measurands.ACTIVE_ENERGY_IMPORT, T, 1, 0, Unit.WATT_HOUR)));
        assertThrows(MalformedMessageException.class, () -> ReadingCodec.decode(Arrays.copyOf(b, b.length - 1)));
        assertThrows(MalformedMessageException.class, () -> ReadingCodec.decode(Arrays.copyOf(b, b.length + 1)));
        byte[] v = b.clone();
        v[0] = 9;
        assertThrows(MalformedMessageException.class, () -> ReadingCodec.decode(v));
        byte[] u = b.clone();
        u[1 + 8 + 5 + 1 + 6] = (byte) 200; // unit code nobody knows
        assertThrows(MalformedMessageException.class, () -> ReadingCodec.decode(u));
        assertThrows(IllegalArgumentException.class, () -> ReadingCodec.encode(List.of()));
        assertThrows(IllegalArgumentException.class, () -> ReadingCodec.encode(List.of(
                new Reading(M, Measurands.ACTIVE_ENERGY_IMPORT, T, 1, 0, Unit.WATT_HOUR),
                new Reading(Eui64.parse("00-00-00-00-00-00-00-09"), Measurands.ACTIVE_ENERGY_IMPORT, T, 1, 0,
                        Unit.WATT_HOUR))));
    }
}
