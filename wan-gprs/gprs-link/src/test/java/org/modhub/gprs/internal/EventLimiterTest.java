package org.modhub.gprs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class EventLimiterTest {
    @Test
    void firstAtOnceThenOnePerIntervalWithTheCountOfTheRest() {
        AtomicLong now = new AtomicLong(1_000_000);
        ModemController.EventLimiter limiter = new ModemController.EventLimiter(30_000, now::get);
        assertEquals("a", limiter.admit("GPRS_GARBAGE", "a"));
        assertNull(limiter.admit("GPRS_GARBAGE", "b"));
        assertNull(limiter.admit("GPRS_GARBAGE", "c"));
        assertEquals("x", limiter.admit("OTHER", "x"), "codes are limited separately");
        now.addAndGet(29_999);
        assertNull(limiter.admit("GPRS_GARBAGE", "d"));
        now.addAndGet(1);
        assertEquals("e (3 similar suppressed)", limiter.admit("GPRS_GARBAGE", "e"));
        now.addAndGet(30_000);
        assertEquals("f", limiter.admit("GPRS_GARBAGE", "f"));
    }
}
