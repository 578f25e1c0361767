package org.modhub.reports.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.annotation.Annotation;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.modhub.api.common.Eui64;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceType;
import org.modhub.api.messaging.OutboundMessage;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.ProfileCodec;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.ReadingCodec;
import org.modhub.api.metering.Unit;
import org.modhub.testing.memory.MemoryMeteringStore;
import org.modhub.testing.memory.MemoryStateStore;
import org.osgi.service.log.Logger;

class MeterReporterTest {
    static final Eui64 ELEC = Eui64.parse("0442123456780102");
    static final Eui64 GAS = Eui64.parse("00-DB-12-34-56-78-90-A1");
    static final Instant T0 = Instant.parse("2026-11-22T00:00:00Z");

    MemoryMeteringStore metering = new MemoryMeteringStore();
    MemoryStateStore state = new MemoryStateStore();
    org.modhub.testing.memory.MemoryDeviceLog devices = new org.modhub.testing.memory.MemoryDeviceLog();
    Fakes.Box outbox = new Fakes.Box();
    Instant now = T0.plus(Duration.ofHours(2));

    @BeforeEach
    void setUp() throws Exception {
        devices.add(DeviceLogEntry.withKeyReference(ELEC, DeviceType.ELECTRICITY_METER, "e"));
        devices.add(DeviceLogEntry.withKeyReference(GAS, DeviceType.GAS_METER, "g"));
    }

    static MeterReporter.Config config(int maxPerMessage) {
        return new MeterReporter.Config() {
            public Class<? extends Annotation> annotationType() {
                return MeterReporter.Config.class;
            }
            public int intervalSeconds() {
                return 60;
            }
            public int settleSeconds() {
                return 60;
            }
            public int firstLookbackDays() {
                return 1;
            }
            public int maxPerMessage() {
                return maxPerMessage;
            }
            public String[] measurands() {
                return new String[] {"1.0.1.8.0.255"};
            }
            public String[] profileMeasurands() {
                return new String[] {"7.0.3.0.0.255"};
            }
            public int priority() {
                return 6;
            }
        };
    }

    MeterReporter reporter(int max) {
        Logger log = (Logger) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Logger.class},
                (p, m, a) -> null);
        return new MeterReporter(metering, state, devices, outbox, log, config(max), Clock.fixed(now, ZoneOffset.UTC), false);
    }

    void energy(int minute, long wh) {
        metering.record(List.of(new Reading(ELEC, Measurands.ACTIVE_ENERGY_IMPORT, T0.plus(Duration.ofMinutes(minute)), wh, 0, Unit.WATT_HOUR)));
    }

    List<Reading> sentReadings() throws Exception {
        List<Reading> out = new ArrayList<>();
        for (OutboundMessage m : outbox.messages) {
            if (m.topic().equals(ReadingCodec.TOPIC)) {
                out.addAll(ReadingCodec.decode(m.payload()));
            }
        }
        return out;
    }

    @Test
    void newReadingsGoOutOnceAndTheCursorSurvivesARestart() throws Exception {
        energy(10, 100);
        energy(40, 130);
        assertEquals(1, reporter(500).runOnce());
        assertEquals(List.of(100L, 130L), sentReadings().stream().map(Reading::raw).toList());
        assertEquals(0, reporter(500).runOnce(), "a new instance (restart) sends nothing twice");
        energy(125, 160); // newer than the cursor (now - settle)
        now = now.plus(Duration.ofMinutes(30));
        assertEquals(1, reporter(500).runOnce());
        assertEquals(List.of(100L, 130L, 160L), sentReadings().stream().map(Reading::raw).toList());
        OutboundMessage m = outbox.messages.get(0);
        assertEquals("metering/readings", m.topic());
        assertEquals(6, m.priority());
    }

    @Test
    void readingsYoungerThanTheSettleTimeWaitForTheNextReport() throws Exception {
        energy(110, 1);
        energy(119, 2); // 60 s before now, at the boundary: not yet
        reporter(500).runOnce();
        assertEquals(List.of(1L), sentReadings().stream().map(Reading::raw).toList());
        now = now.plusSeconds(120);
        reporter(500).runOnce();
        assertEquals(List.of(1L, 2L), sentReadings().stream().map(Reading::raw).toList());
    }

    @Test
    void largeBacklogsGoInBatchesWithNothingSkipped() throws Exception {
        for (int i = 0; i < 7; i++) {
            energy(i, i);
        }
        assertEquals(4, reporter(2).runOnce());
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L), sentReadings().stream().map(Reading::raw).toList());
        Set<String> ids = new HashSet<>();
        outbox.messages.forEach(m -> ids.add(m.id()));
        assertEquals(4, ids.size());
    }

    @Test
    void aCrashAfterTheEnqueueResendsTheSameWindowWithTheSameId() throws Exception {
        energy(10, 100);
        outbox.crashAfterNext = 0;
        assertThrows(IllegalStateException.class, () -> reporter(500).runOnce());
        energy(20, 110); // arrived meanwhile, inside the pending window
        reporter(500).runOnce();
        assertEquals(2, outbox.messages.size());
        assertEquals(outbox.messages.get(0).id(), outbox.messages.get(1).id(), "the head end de-duplicates the repeat");
        assertEquals(List.of(100L), ReadingCodec.decode(outbox.messages.get(0).payload()).stream().map(Reading::raw).toList());
        assertEquals(0, reporter(500).runOnce());
    }

    @Test
    void profileSamplesGoOutInTheProfileCodecForm() throws Exception {
        List<ProfileSample> s = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            s.add(new ProfileSample(GAS, Measurands.GAS_VOLUME, T0.plus(Duration.ofMinutes(30L * i)), Duration.ofMinutes(30), 10 * i,
                    -3, Unit.CUBIC_METRE, Set.of()));
        }
        metering.recordProfile(s);
        assertEquals(1, reporter(500).runOnce());
        OutboundMessage m = outbox.messages.get(0);
        assertEquals("metering/profile", m.topic());
        assertEquals(s, ProfileCodec.decode(m.payload()), "one ProfileCodec run per message body");
        assertTrue(reporter(500).runOnce() == 0);
    }

    @Test
    void aChangeOfIntervalOrAGapOffTheGridStartsAnotherRunAndMessage() throws Exception {
        List<ProfileSample> s = new ArrayList<>();
        for (int i = 1; i <= 2; i++) {
            s.add(new ProfileSample(GAS, Measurands.GAS_VOLUME, T0.plus(Duration.ofMinutes(30L * i)), Duration.ofMinutes(30), i,
                    -3, Unit.CUBIC_METRE, Set.of()));
        }
        s.add(new ProfileSample(GAS, Measurands.GAS_VOLUME, T0.plus(Duration.ofMinutes(75)), Duration.ofMinutes(15), 3,
                -3, Unit.CUBIC_METRE, Set.of()));
        metering.recordProfile(s);
        assertEquals(2, reporter(500).runOnce());
        assertEquals(s.subList(0, 2), ProfileCodec.decode(outbox.messages.get(0).payload()));
        assertEquals(s.subList(2, 3), ProfileCodec.decode(outbox.messages.get(1).payload()));
        assertEquals(2, outbox.messages.stream().map(OutboundMessage::id).distinct().count());
    }
}
