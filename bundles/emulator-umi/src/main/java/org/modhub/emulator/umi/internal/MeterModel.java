package org.modhub.emulator.umi.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The emulated metrology module's state, shared by every DLMS association to it: energy registers
 * that advance with time (import follows a daily sine around 800 W, export a steady 200 W; tariff 1
 * counts 07:00-24:00 UTC, tariff 2 the night), a half-hourly load profile computed from them, a
 * clock with its own offset, a disconnect control and an event log.
 */
public final class MeterModel {
    /** Disconnect control states (IEC 62056-6-2 class 70, attribute 3). */
    public enum SupplyState {
        DISCONNECTED, CONNECTED, READY_FOR_RECONNECTION
    }

    /** An event log entry. */
    public record MeterEvent(Instant time, int code) {
    }

    public static final int EVENT_CLOCK_SET = 1;
    public static final int EVENT_DISCONNECTED = 60;
    public static final int EVENT_READY_FOR_RECONNECTION = 61;
    public static final int EVENT_RECONNECTED = 62;
    public static final Duration PROFILE_PERIOD = Duration.ofMinutes(30);

    private static final double BASE_IMPORT_W = 800;
    private static final double SWING_W = 400;
    private static final double EXPORT_W = 200;
    private static final double DAY_S = 86_400;

    private final long importOffsetWh;
    private final long exportOffsetWh;
    private final Duration maxClockAdjust;
    private final int controlMode;
    private Duration clockOffset = Duration.ZERO;
    private SupplyState supply = SupplyState.CONNECTED;
    private final List<MeterEvent> events = new ArrayList<>();

    /**
     * @param maxClockAdjust the largest clock change the meter accepts in one set
     * @param controlMode disconnect control mode 0..6 (2, 4 and 6: a remote reconnect only arms)
     */
    public MeterModel(long importOffsetWh, long exportOffsetWh, Duration maxClockAdjust, int controlMode) {
        if (controlMode < 0 || controlMode > 6) {
            throw new IllegalArgumentException("control mode out of 0..6: " + controlMode);
        }
        this.importOffsetWh = importOffsetWh;
        this.exportOffsetWh = exportOffsetWh;
        this.maxClockAdjust = Objects.requireNonNull(maxClockAdjust);
        this.controlMode = controlMode;
    }

    public static MeterModel standard() {
        return new MeterModel(12_345_000, 1_234_000, Duration.ofSeconds(10), 4);
    }

    // ---- time ----

    public synchronized Instant meterTime() {
        return Instant.now().plus(clockOffset);
    }

    /**
     * Sets the meter clock; refused (returns false, nothing changes) when the change is larger than
     * the adjustment the meter accepts.
     */
    public synchronized boolean setClock(Instant newTime) {
        Duration change = Duration.between(meterTime(), newTime);
        if (change.abs().compareTo(maxClockAdjust) > 0) {
            return false;
        }
        clockOffset = clockOffset.plus(change);
        events.add(new MeterEvent(meterTime(), EVENT_CLOCK_SET));
        return true;
    }

    /** Moves the clock by {@code d} without checks (a drifting crystal, for tests). */
    public synchronized void drift(Duration d) {
        clockOffset = clockOffset.plus(d);
    }

    // ---- energy (true time: the registers do not care what the clock says) ----

    static double importWhSinceEpoch(double seconds) {
        double hours = seconds / 3600;
        return BASE_IMPORT_W * hours + SWING_W * (DAY_S / (2 * Math.PI)) / 3600 * (1 - Math.cos(2 * Math.PI * seconds / DAY_S));
    }

    /** Import energy total at {@code t}, Wh. */
    public long importWh(Instant t) {
        return importOffsetWh + (long) importWhSinceEpoch(t.getEpochSecond() + t.getNano() / 1e9);
    }

    /** Import energy in tariff 1 (day) or 2 (night) at {@code t}, Wh: whole days split 17:7, today by hour. */
    public long importTariffWh(Instant t, int tariff) {
        long total = importWh(t);
        long t1 = total * 17 / 24;
        return tariff == 1 ? t1 : total - t1;
    }

    public long exportWh(Instant t) {
        return exportOffsetWh + (long) (EXPORT_W * (t.getEpochSecond() / 3600.0));
    }

    public long exportTariffWh(Instant t, int tariff) {
        long total = exportWh(t);
        long t1 = total * 17 / 24;
        return tariff == 1 ? t1 : total - t1;
    }

    /** Instantaneous import power, W. */
    public long importW(Instant t) {
        return Math.round(BASE_IMPORT_W + SWING_W * Math.sin(2 * Math.PI * (t.getEpochSecond() % 86_400) / DAY_S));
    }

    public long exportW(Instant t) {
        return (long) EXPORT_W;
    }

    /** Profile rows (interval end, import Wh, export Wh) with {@code from <= end <= to}, never after now. */
    public List<long[]> profile(Instant from, Instant to) {
        long period = PROFILE_PERIOD.toSeconds();
        Instant now = Instant.now();
        Instant last = to.isAfter(now) ? now : to;
        long first = (from.getEpochSecond() + period - 1) / period * period;
        List<long[]> rows = new ArrayList<>();
        for (long s = first; s <= last.getEpochSecond(); s += period) {
            Instant end = Instant.ofEpochSecond(s);
            rows.add(new long[] {s, importWh(end), exportWh(end)});
        }
        return rows;
    }

    // ---- disconnect control ----

    public int controlMode() {
        return controlMode;
    }

    public synchronized SupplyState supply() {
        return supply;
    }

    public synchronized void remoteDisconnect() {
        if (supply != SupplyState.DISCONNECTED) {
            supply = SupplyState.DISCONNECTED;
            events.add(new MeterEvent(meterTime(), EVENT_DISCONNECTED));
        }
    }

    /** Remote reconnect: arms in modes 2, 4, 6; closes the supply directly in modes 1, 3, 5. */
    public synchronized void remoteReconnect() {
        if (supply == SupplyState.DISCONNECTED) {
            if (controlMode == 2 || controlMode == 4 || controlMode == 6) {
                supply = SupplyState.READY_FOR_RECONNECTION;
                events.add(new MeterEvent(meterTime(), EVENT_READY_FOR_RECONNECTION));
            } else {
                supply = SupplyState.CONNECTED;
                events.add(new MeterEvent(meterTime(), EVENT_RECONNECTED));
            }
        }
    }

    /** The person on site presses the button: an armed supply closes. */
    public synchronized boolean localReconnect() {
        if (supply != SupplyState.READY_FOR_RECONNECTION) {
            return false;
        }
        supply = SupplyState.CONNECTED;
        events.add(new MeterEvent(meterTime(), EVENT_RECONNECTED));
        return true;
    }

    public synchronized List<MeterEvent> events() {
        return List.copyOf(events);
    }
}
