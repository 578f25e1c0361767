package org.modhub.ota.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.modhub.api.common.Eui64;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceType;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.metering.ObisCode;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.ReadingQuery;
import org.modhub.api.metering.Unit;

/** The meter-reads part of the OTA health check. */
class MeterReadsTest {
    static final Eui64 METER = Eui64.parse("00-0D-6F-00-00-00-00-0A");
    static final Duration WINDOW = Duration.ofSeconds(60);

    /** A metering store in memory; {@code broken} makes every read throw. */
    static final class Store implements MeteringStore {
        final List<Reading> readings = new CopyOnWriteArrayList<>();
        volatile boolean broken;

        @Override
        public void record(Collection<Reading> r) {
            readings.addAll(r);
        }

        @Override
        public void recordProfile(Collection<ProfileSample> samples) {
        }

        @Override
        public Optional<Reading> latest(Eui64 device, ObisCode measurand) {
            check();
            return readings.stream().filter(r -> r.device().equals(device) && r.measurand().equals(measurand))
                    .max(Comparator.comparing(Reading::instant));
        }

        @Override
        public List<Reading> readings(ReadingQuery q) {
            check();
            return readings.stream().filter(r -> r.device().equals(q.device()) && r.measurand().equals(q.measurand())
                    && !r.instant().isBefore(q.from()) && !r.instant().isAfter(q.to())).limit(q.limit()).toList();
        }

        @Override
        public List<ProfileSample> profile(ReadingQuery query) {
            return List.of();
        }

        void check() {
            if (broken) {
                throw new IllegalStateException("database is locked");
            }
        }
    }

    static final class Log implements DeviceLog {
        final List<DeviceLogEntry> entries = new ArrayList<>();

        @Override
        public void add(DeviceLogEntry entry) {
            entries.add(entry);
        }

        @Override
        public boolean remove(Eui64 device) {
            return entries.removeIf(e -> e.device().equals(device));
        }

        @Override
        public Optional<DeviceLogEntry> find(Eui64 device) {
            return entries.stream().filter(e -> e.device().equals(device)).findFirst();
        }

        @Override
        public List<DeviceLogEntry> entries() {
            return List.copyOf(entries);
        }

        @Override
        public int capacity() {
            return 100;
        }
    }

    static Reading energy(Instant at, long wh) {
        return new Reading(METER, Measurands.ACTIVE_ENERGY_IMPORT, at, wh, 0, Unit.WATT_HOUR);
    }

    static Log log() {
        Log l = new Log();
        l.add(DeviceLogEntry.withKeyReference(METER, DeviceType.ELECTRICITY_METER, "k"));
        return l;
    }

    @Test
    void aMeterReadBeforeTheApplyMustBeReadAgainAfterIt() {
        Store store = new Store();
        Instant now = Instant.now();
        store.record(List.of(energy(now.minusSeconds(20), 1000), energy(now.minusSeconds(10), 1001)));
        MeterReads.Before before = MeterReads.snapshot(store, log(), WINDOW, now);
        assertEquals(1, before.active().size(), before.toString());
        Optional<String> p = MeterReads.problem(store, before);
        assertTrue(p.isPresent() && p.get().contains("no meter reading since the apply"), p.toString());
        store.record(List.of(energy(now.plusSeconds(1), 1002)));
        assertEquals(Optional.empty(), MeterReads.problem(store, before));
    }

    @Test
    void aMeterReadRarelyOrNeverOnlyNeedsTheStoreToAnswer() {
        Store store = new Store();
        Instant now = Instant.now();
        store.record(List.of(energy(now.minusSeconds(1800), 1000), energy(now.minusSeconds(5), 1001)));
        MeterReads.Before before = MeterReads.snapshot(store, log(), WINDOW, now);
        assertTrue(before.active().isEmpty(), "one reading in the window is no evidence of a cadence: " + before);
        assertEquals(Optional.empty(), MeterReads.problem(store, before));
        assertEquals(Optional.empty(), MeterReads.problem(store, MeterReads.snapshot(store, new Log(), WINDOW, now)));
        store.broken = true;
        Optional<String> p = MeterReads.problem(store, before);
        assertTrue(p.isPresent() && p.get().contains("metering store read failed"), p.toString());
    }

    @Test
    void aLinkThatStoppedBeforeTheApplyIsNotRequiredToRead() {
        Store store = new Store();
        Instant now = Instant.now();
        // read every 5 s until 40 s ago, then nothing
        store.record(List.of(energy(now.minusSeconds(50), 1000), energy(now.minusSeconds(45), 1001),
                energy(now.minusSeconds(40), 1002)));
        assertTrue(MeterReads.snapshot(store, log(), WINDOW, now).active().isEmpty());
        // read every 5 s up to 6 s ago: still active
        store.record(List.of(energy(now.minusSeconds(11), 1003), energy(now.minusSeconds(6), 1004)));
        assertEquals(1, MeterReads.snapshot(store, log(), WINDOW, now).active().size());
    }

    @Test
    void aStoreThatIsGoneFailsOnlyIfMetersWereBeingRead() {
        Store store = new Store();
        Instant now = Instant.now();
        store.record(List.of(energy(now.minusSeconds(20), 1000), energy(now.minusSeconds(10), 1001)));
        MeterReads.Before before = MeterReads.snapshot(store, log(), WINDOW, now);
        assertTrue(MeterReads.problem(null, before).isPresent());
        assertEquals(Optional.empty(), MeterReads.problem(null, MeterReads.Before.NONE));
        assertEquals(MeterReads.Before.NONE, MeterReads.snapshot(null, log(), WINDOW, now));
    }
}
