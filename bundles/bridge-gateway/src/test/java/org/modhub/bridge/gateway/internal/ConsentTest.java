package org.modhub.bridge.gateway.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.modhub.api.bridge.DataObject;
import org.modhub.api.common.Eui64;

class ConsentTest {
    @Test
    void parsesConfigNamesAndEnumNames() {
        Consent c = Consent.validate(" org.example.b ", new String[] {"half-hourly-history", "GAS_MIRROR", " "},
                new String[] {"000D6F0000000011"}, 30, 24);
        assertEquals("org.example.b", c.bridge());
        assertEquals(Set.of(DataObject.HALF_HOURLY_HISTORY, DataObject.GAS_MIRROR), c.granted());
        assertEquals(Set.of(Eui64.parse("00-0D-6F-00-00-00-00-11")), c.meters());
        assertEquals(Duration.ofHours(24), c.historyWindow());
    }

    @Test
    void refusesBadFieldsNamingPidAndField() {
        var e = assertThrows(Consent.InvalidConsentException.class, () -> Consent.validate("b", new String[] {"price"}, null, 60, 48));
        assertEquals("configuration org.modhub.bridge.consent: field 'dataObjects': 'price' is not one of "
                + "[current-registers, demand, half-hourly-history, tariff, gas-mirror]", e.getMessage());
        assertEquals("bridge", assertThrows(Consent.InvalidConsentException.class,
                () -> Consent.validate("", null, null, 60, 48)).field());
        assertEquals("bridge", assertThrows(Consent.InvalidConsentException.class,
                () -> Consent.validate("a b", null, null, 60, 48)).field());
        assertEquals("meters", assertThrows(Consent.InvalidConsentException.class,
                () -> Consent.validate("b", null, new String[] {"xyz"}, 60, 48)).field());
        assertEquals("readsPerMinute", assertThrows(Consent.InvalidConsentException.class,
                () -> Consent.validate("b", null, null, 0, 48)).field());
        assertEquals("readsPerMinute", assertThrows(Consent.InvalidConsentException.class,
                () -> Consent.validate("b", null, null, 6001, 48)).field());
        assertEquals("historyHours", assertThrows(Consent.InvalidConsentException.class,
                () -> Consent.validate("b", null, null, 60, 0)).field());
    }

    @Test
    void rateLimiterRefillsEvenly() {
        long[] now = {0};
        RateLimiter r = new RateLimiter(60, () -> now[0]);
        for (int i = 0; i < 60; i++) {
            assertEquals(0, r.tryAcquire());
        }
        assertEquals(1000, r.tryAcquire());
        now[0] += 500_000_000L;
        assertEquals(500, r.tryAcquire());
        now[0] += 500_000_000L;
        assertEquals(0, r.tryAcquire());
        now[0] += 3_600_000_000_000L; // an hour: capped at the burst
        for (int i = 0; i < 60; i++) {
            assertEquals(0, r.tryAcquire());
        }
        assertEquals(1000, r.tryAcquire());
    }
}
