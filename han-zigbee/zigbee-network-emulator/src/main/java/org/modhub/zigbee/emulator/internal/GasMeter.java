package org.modhub.zigbee.emulator.internal;

import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An emulated battery gas meter (GSME), a sleepy end device. It sleeps between wake-ups (every 30
 * minutes by default); at each wake-up it pushes its volume register (m³, divisor 1000: raw litres),
 * today's energy and today's cost to the hub, keeps its radio on for a short window (in which the hub
 * may deliver what it queued for it), and sleeps again. Frames sent while it sleeps never reach it.
 */
public final class GasMeter extends SeMeter {
    /** Today's energy, Wh (CurrentDayConsumptionDelivered in the alternative unit, 0x0C00 range). */
    public static final int ATTR_TODAY_ENERGY_WH = 0x0C00;
    /** Today's cost in minor units (BillToDateDelivered with a daily billing period). */
    public static final int ATTR_TODAY_COST = 0x0A00;

    private volatile long litres;
    private volatile long todayWh;
    private volatile long todayPence;
    private volatile long awakeUntil;
    private final long awakeWindowMillis;
    private final AtomicInteger wakeUps = new AtomicInteger();
    private ScheduledFuture<?> waking;

    private final long joinAwakeMillis;

    /**
     * @param awakeWindowMillis how long the radio stays on after each wake-up
     * @param joinAwakeMillis how long it polls fast after joining (for discovery)
     */
    public GasMeter(long ieee, byte[] installCode, long litres, long awakeWindowMillis, long joinAwakeMillis) {
        super("gas-meter", ieee, installCode, true);
        this.joinAwakeMillis = joinAwakeMillis;
        this.litres = litres;
        this.awakeWindowMillis = awakeWindowMillis;
    }

    @Override
    public boolean isAwake() {
        return System.currentTimeMillis() < awakeUntil;
    }

    /** Ends the radio-on window now (the meter goes back to sleep early). */
    public void sleep() {
        awakeUntil = 0;
    }

    public int wakeUps() {
        return wakeUps.get();
    }

    public long litres() {
        return litres;
    }

    @Override
    protected Map<Integer, long[]> meteringAttributes() {
        return Map.of(ATTR_SUMMATION, new long[] {Zcl.TYPE_UINT48, litres},
                ATTR_UNIT, new long[] {Zcl.TYPE_ENUM8, 1},
                ATTR_MULTIPLIER, new long[] {Zcl.TYPE_UINT24, 1},
                ATTR_DIVISOR, new long[] {Zcl.TYPE_UINT24, 1000},
                ATTR_DEVICE_TYPE, new long[] {Zcl.TYPE_BITMAP8, 1},
                ATTR_TODAY_ENERGY_WH, new long[] {Zcl.TYPE_UINT24, todayWh},
                ATTR_TODAY_COST, new long[] {Zcl.TYPE_UINT32, todayPence});
    }

    @Override
    protected void joinedNetwork() {
        // fast poll after joining, so the hub can discover the device
        awakeUntil = System.currentTimeMillis() + Math.max(awakeWindowMillis, joinAwakeMillis);
    }

    /** Wakes, uses some gas, pushes its values and stays awake for the window. Runs on the radio thread. */
    public void wakeUp() {
        network.radio(() -> {
            if (!joined) {
                return;
            }
            wakeUps.incrementAndGet();
            litres += 37;
            todayWh += 410;
            todayPence += 3;
            awakeUntil = System.currentTimeMillis() + awakeWindowMillis;
            report(ATTR_SUMMATION, ATTR_TODAY_ENERGY_WH, ATTR_TODAY_COST);
        });
    }

    /** Wakes every {@code periodMillis}. */
    public synchronized void startWaking(long periodMillis) {
        if (waking != null) {
            waking.cancel(false);
        }
        waking = network.scheduler().scheduleAtFixedRate(this::wakeUp, periodMillis, periodMillis,
                TimeUnit.MILLISECONDS);
    }
}
