package org.modhub.testing.memory;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.modhub.api.common.Eui64;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.metering.ObisCode;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.ReadingQuery;

/**
 * A {@link MeteringStore} in memory for unit tests, following its contract: a reading or sample for the
 * same device, measurand and instant replaces the earlier one; queries select {@code [from, to)} in time
 * order, at most limit. {@link #readings} and {@link #samples} keep every write as made (repeats included),
 * {@link #writes} counts the calls that write.
 */
public final class MemoryMeteringStore implements MeteringStore {
    /** Every reading recorded, in order, repeats included. */
    public final List<Reading> readings = new CopyOnWriteArrayList<>();
    /** Every profile sample recorded, in order, repeats included. */
    public final List<ProfileSample> samples = new CopyOnWriteArrayList<>();
    /** How many calls to record or recordProfile were made. */
    public final AtomicLong writes = new AtomicLong();
    private final Map<String, TreeMap<Instant, Reading>> byReading = new ConcurrentHashMap<>();
    private final Map<String, TreeMap<Instant, ProfileSample>> byProfile = new ConcurrentHashMap<>();

    private static String key(Eui64 device, ObisCode measurand) {
        return device + "/" + measurand;
    }

    @Override
    public synchronized void record(Collection<Reading> rs) {
        writes.incrementAndGet();
        for (Reading r : rs) {
            byReading.computeIfAbsent(key(r.device(), r.measurand()), k -> new TreeMap<>()).put(r.instant(), r);
        }
        readings.addAll(rs);
    }

    @Override
    public synchronized void recordProfile(Collection<ProfileSample> ss) {
        writes.incrementAndGet();
        for (ProfileSample s : ss) {
            byProfile.computeIfAbsent(key(s.device(), s.measurand()), k -> new TreeMap<>()).put(s.intervalEnd(), s);
        }
        samples.addAll(ss);
    }

    @Override
    public synchronized Optional<Reading> latest(Eui64 device, ObisCode measurand) {
        TreeMap<Instant, Reading> m = byReading.get(key(device, measurand));
        return m == null || m.isEmpty() ? Optional.empty() : Optional.of(m.lastEntry().getValue());
    }

    @Override
    public synchronized List<Reading> readings(ReadingQuery q) {
        TreeMap<Instant, Reading> m = byReading.getOrDefault(key(q.device(), q.measurand()), new TreeMap<>());
        return m.subMap(q.from(), true, q.to(), false).values().stream().limit(q.limit()).toList();
    }

    @Override
    public synchronized List<ProfileSample> profile(ReadingQuery q) {
        TreeMap<Instant, ProfileSample> m = byProfile.getOrDefault(key(q.device(), q.measurand()), new TreeMap<>());
        return m.subMap(q.from(), true, q.to(), false).values().stream().limit(q.limit()).toList();
    }
}
