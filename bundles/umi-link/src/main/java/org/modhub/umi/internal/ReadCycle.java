package org.modhub.umi.internal;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.modhub.api.event.Severity;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.metering.ObisCode;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.modhub.api.store.StateStore;

/**
 * One periodic read of the metrology module into the hub's {@link MeteringStore}: the registers,
 * the load profile from where the last cycle stopped (cursor in the {@link StateStore}), and a clock
 * check that corrects small drift within the validity window and reports larger drift.
 */
public final class ReadCycle {
    static final String NAMESPACE = "org.modhub.umi-link";
    static final String CURSOR = "profile-cursor";

    /** Where events go (the EventLog in the hub). */
    @FunctionalInterface
    public interface Events {
        void event(String code, Severity severity, String detail);
    }

    /** What a cycle did. */
    public record Result(int readings, int profileSamples, Instant profileCursor, Duration clockOffset, boolean clockSet) {
    }

    private final MeteringStore metering;
    private final StateStore state;
    private final Events events;
    private final Duration backfill;
    private final Duration clockTolerance;

    /**
     * @param backfill how far back the first profile read of a new meter goes
     * @param clockTolerance drift below this is left alone
     */
    public ReadCycle(MeteringStore metering, StateStore state, Events events, Duration backfill, Duration clockTolerance) {
        this.metering = metering;
        this.state = state;
        this.events = events;
        this.backfill = backfill;
        this.clockTolerance = clockTolerance;
    }

    public Result run(UmiClient client) throws UmiException {
        List<Reading> readings = new ArrayList<>();
        for (ObisCode obis : ObisCodes.REGISTERS) {
            readings.add(client.readRegister(obis));
        }
        metering.record(readings);

        Instant now = Instant.now();
        Instant cursor = cursor().orElse(now.minus(backfill));
        List<ProfileSample> samples = client.readLoadProfile(cursor, now);
        if (!samples.isEmpty()) {
            metering.recordProfile(samples);
            Instant last = samples.stream().map(ProfileSample::intervalEnd).max(Instant::compareTo).orElseThrow();
            state.put(NAMESPACE, CURSOR, ByteBuffer.allocate(8).putLong(last.toEpochMilli()).array());
            cursor = last;
        }

        Instant meterTime = client.readClock();
        Duration offset = Duration.between(Instant.now(), meterTime);
        boolean set = false;
        if (offset.abs().compareTo(clockTolerance) > 0) {
            try {
                Duration change = client.setClock(Instant.now());
                set = true;
                events.event("METER_CLOCK_SET", Severity.INFO, "meter clock was " + offset.toMillis()
                        + " ms off; corrected by " + change.toMillis() + " ms");
            } catch (UmiException.RefusedException | UmiException.MeterErrorException e) {
                events.event("METER_CLOCK_OUT_OF_WINDOW", Severity.WARNING, "meter clock is " + offset.toMillis()
                        + " ms off and was not set: " + e.getMessage());
            }
        }
        return new Result(readings.size(), samples.size(), cursor, offset, set);
    }

    Optional<Instant> cursor() {
        return state.get(NAMESPACE, CURSOR).map(b -> Instant.ofEpochMilli(ByteBuffer.wrap(b).getLong()));
    }
}
