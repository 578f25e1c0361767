package org.modhub.ota.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.modhub.api.common.Eui64;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.metering.ObisCode;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.ReadingQuery;

/**
 * "Meter reads working" for the OTA health check. Before an apply it notes, for every meter in the
 * device log and every main measurand, the newest reading in the metering store; a meter counts as
 * <em>being read</em> when at least two of its readings fall within the health window before the apply
 * (its link delivers readings at least that often, so a new one must arrive within the window) and the
 * newest is at most two of those intervals old (the link still keeps its cadence; a link that stopped
 * before the update is not the update's fault). After
 * the apply the check passes when the metering store answers and, if any meter was being read, at
 * least one of those meters has a reading newer than before the apply. A hub whose meters are read
 * less often than the window (or that has none) is judged by the store answering only.
 */
final class MeterReads {
    /** The measurands the check looks at: what meter links write for electricity and gas meters. */
    static final List<ObisCode> MEASURANDS = List.of(Measurands.ACTIVE_ENERGY_IMPORT, Measurands.ACTIVE_ENERGY_EXPORT,
            Measurands.ACTIVE_POWER_IMPORT, Measurands.GAS_VOLUME);
    /** At most this many meters of the device log are looked at (the check runs every 200 ms). */
    static final int MAX_METERS = 64;

    record Key(Eui64 device, ObisCode measurand) {
    }

    /** What was being read before the apply: each active meter's newest reading instant. */
    record Before(Map<Key, Instant> active, Instant at) {
        static final Before NONE = new Before(Map.of(), Instant.EPOCH);
    }

    private MeterReads() {
    }

    static Before snapshot(MeteringStore store, DeviceLog log, Duration window, Instant now) {
        if (store == null || log == null) {
            return Before.NONE;
        }
        Map<Key, Instant> active = new HashMap<>();
        try {
            int n = 0;
            for (DeviceLogEntry e : log.entries()) {
                if (n++ >= MAX_METERS) {
                    break;
                }
                for (ObisCode m : MEASURANDS) {
                    List<Instant> recent = store.readings(new ReadingQuery(e.device(), m, now.minus(window),
                            now.plusSeconds(1), 1000)).stream().map(Reading::instant).sorted().toList();
                    if (recent.size() < 2) {
                        continue;
                    }
                    Instant last = recent.get(recent.size() - 1);
                    Duration cadence = Duration.between(recent.get(recent.size() - 2), last);
                    // still keeping its cadence: the newest reading is not older than two intervals (+2 s)
                    if (!cadence.isZero()
                            && Duration.between(last, now).compareTo(cadence.multipliedBy(2).plusSeconds(2)) <= 0) {
                        active.put(new Key(e.device(), m), last);
                    }
                }
            }
        } catch (RuntimeException e) {
            // the check after the apply reports the store's failure
            return new Before(Map.copyOf(active), now);
        }
        return new Before(Map.copyOf(active), now);
    }

    /** Empty when meter reads work, else why not. */
    static Optional<String> problem(MeteringStore store, Before before) {
        if (store == null) {
            return before.active().isEmpty() ? Optional.empty()
                    : Optional.of("metering store gone (meters were being read before the apply)");
        }
        try {
            if (before.active().isEmpty()) {
                // the store must still answer a read
                store.readings(new ReadingQuery(Eui64.of(0L), Measurands.ACTIVE_ENERGY_IMPORT, Instant.EPOCH,
                        Instant.EPOCH, 1));
                return Optional.empty();
            }
            for (var e : before.active().entrySet()) {
                Optional<Reading> now = store.latest(e.getKey().device(), e.getKey().measurand());
                if (now.isPresent() && now.get().instant().isAfter(e.getValue())) {
                    return Optional.empty();
                }
            }
            Key k = before.active().keySet().iterator().next();
            return Optional.of("no meter reading since the apply (" + before.active().size()
                    + " meter register(s) were read within the health window before it, e.g. " + k.device() + " "
                    + k.measurand() + ")");
        } catch (RuntimeException e) {
            return Optional.of("metering store read failed: " + e);
        }
    }
}
