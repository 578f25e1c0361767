package org.modhub.api.gas;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.modhub.api.common.Eui64;
import org.modhub.api.han.UnknownDeviceException;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The Gas Proxy Function. Keeps, in the hub-core store, the half-hourly consumption profile derived
 * from the meter's pushes (397 days × 48), the daily read log (31 snapshots at midnight UTC),
 * billing snapshots (12), prepayment top-ups (5) and debt payments (10). Reads never wake the meter.
 */
@ProviderType
public interface GasProxy {
    /**
     * Takes a push from the meter; durable when this returns. Consumption for each completed half
     * hour is derived by subtraction; a missed half hour is recovered from the meter later.
     *
     * @throws UnknownDeviceException if the meter is not a gas meter in the device log
     * @throws IllegalArgumentException if the push goes backwards in time or volume
     */
    void accept(GasPush push) throws UnknownDeviceException;

    /** Latest mirrored values with their age; empty if the meter never pushed. */
    Optional<MirrorRead> read(Eui64 meter);

    /** Half-hourly consumption in {@code [from, to)}, oldest first. */
    List<ProfileSample> halfHourly(Eui64 meter, Instant from, Instant to);

    /** The daily read log: volume register at each midnight UTC, newest first, at most 31. */
    List<Reading> dailyReads(Eui64 meter);

    /** Appends to one of the small logs, dropping its oldest entry when full; durable on return. */
    void log(Eui64 meter, LogEntry entry) throws UnknownDeviceException;

    /** One of the small logs, newest first. */
    List<LogEntry> log(Eui64 meter, LogEntry.Kind kind);
}
