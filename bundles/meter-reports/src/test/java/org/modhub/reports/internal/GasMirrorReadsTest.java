package org.modhub.reports.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.modhub.api.cloud.CloudMethod;
import org.modhub.api.cloud.CloudRequest;
import org.modhub.api.cloud.CloudRequestException;
import org.modhub.api.cloud.CloudResponse;
import org.modhub.api.common.Eui64;
import org.modhub.api.gas.GasProxy;
import org.modhub.api.gas.GasPush;
import org.modhub.api.gas.LogEntry;
import org.modhub.api.gas.MirrorRead;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;

class GasMirrorReadsTest {
    static final Eui64 GAS = Eui64.parse("00-DB-12-34-56-78-90-A1");

    /** A mirror that counts reads and fails on anything else (the handler must only read). */
    static final class Mirror implements GasProxy {
        final AtomicInteger reads = new AtomicInteger();
        Optional<MirrorRead> value = Optional.empty();

        @Override
        public void accept(GasPush push) {
            throw new AssertionError("a head-end read must not write the mirror");
        }

        @Override
        public Optional<MirrorRead> read(Eui64 meter) {
            reads.incrementAndGet();
            return value.filter(v -> v.meter().equals(meter));
        }

        @Override
        public List<ProfileSample> halfHourly(Eui64 meter, Instant from, Instant to) {
            throw new AssertionError();
        }

        @Override
        public List<Reading> dailyReads(Eui64 meter) {
            throw new AssertionError();
        }

        @Override
        public void log(Eui64 meter, LogEntry entry) {
            throw new AssertionError();
        }

        @Override
        public List<LogEntry> log(Eui64 meter, LogEntry.Kind kind) {
            throw new AssertionError();
        }
    }

    static CloudRequest get(String... resources) {
        return new CloudRequest("GAS-MIRROR", CloudMethod.GET, List.of(resources), "r1", "headend", Map.of(), null, Optional.empty());
    }

    @Test
    void answersWithTheMirroredValuesAndTheirAge() throws Exception {
        Mirror mirror = new Mirror();
        Instant captured = Instant.parse("2026-11-22T05:30:00Z");
        mirror.value = Optional.of(new MirrorRead(GAS, captured, Duration.ofMinutes(47), false, new BigDecimal("1234.567"), 8200, 215));
        GasMirrorReads h = new GasMirrorReads(mirror);
        CloudResponse r = h.handle(get("mirror", GAS.toHex())).toCompletableFuture().get();
        assertEquals(200, r.code());
        assertEquals(GAS.toString(), r.metrics().get("meter"));
        assertEquals(captured.toEpochMilli(), r.metrics().get("captured.at"));
        assertEquals(47L * 60, r.metrics().get("age.s"));
        assertEquals(false, r.metrics().get("stale"));
        assertEquals("1234.567", r.metrics().get("volume.m3"));
        assertEquals(8200L, r.metrics().get("today.energy.wh"));
        assertEquals(215L, r.metrics().get("today.cost.minor"));
        assertEquals(1, mirror.reads.get());
    }

    @Test
    void refusesWhatItCannotAnswer() {
        GasMirrorReads h = new GasMirrorReads(new Mirror());
        assertEquals(404, assertThrows(CloudRequestException.class, () -> h.answer(get("mirror", GAS.toHex()))).code());
        assertEquals(400, assertThrows(CloudRequestException.class, () -> h.answer(get("mirror", "nonsense"))).code());
        assertEquals(400, assertThrows(CloudRequestException.class, () -> h.answer(get("meters"))).code());
        CloudRequest put = new CloudRequest("GAS-MIRROR", CloudMethod.PUT, List.of("mirror", GAS.toHex()), "r", "h", Map.of(), null, Optional.empty());
        assertEquals(400, assertThrows(CloudRequestException.class, () -> h.answer(put)).code());
    }
}
