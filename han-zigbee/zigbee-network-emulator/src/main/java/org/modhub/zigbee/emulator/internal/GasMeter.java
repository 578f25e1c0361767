package org.modhub.zigbee.emulator.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An emulated battery gas meter (GSME), a sleepy end device. It sleeps between wake-ups (every 30
 * minutes by default); at each wake-up it pushes its volume register (m³, divisor 1000: raw litres),
 * today's energy and today's cost to the hub, keeps its radio on for a short window (in which the hub
 * may deliver what it queued for it), and sleeps again. Frames sent while it sleeps never reach it.
 *
 * <p>It keeps its own clock (the hub's by default; tests may set it back and step it) and, like a
 * GSME's profile log, a history of what it captured at each wake-up (up to 31 days of half hours),
 * whether or not the push reached the hub. The hub asks for missed captures with the SE metering
 * GetSnapshot command (0x06); the meter answers one PublishSnapshot (0x06, payload type 0: delivered
 * registers) per request, newest first, selected by the snapshot offset, or a default response
 * NOT_FOUND when the range holds no capture.
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
    private volatile long lastCapture = System.currentTimeMillis() / 1000;
    private final long awakeWindowMillis;
    private final AtomicInteger wakeUps = new AtomicInteger();
    private ScheduledFuture<?> waking;

    private final long joinAwakeMillis;
    /** Captures, oldest first: {epoch second, litres, today Wh, today pence}. */
    private final Deque<long[]> history = new ArrayDeque<>();
    private static final int HISTORY = 31 * 48;
    private volatile long clockOffsetMillis;
    private volatile long clockStepMillis;
    private volatile boolean clockJustSet;
    /** Reading snapshot time, UTC (seconds since 2000-01-01). */
    public static final int ATTR_SNAPSHOT_TIME = 0x0004;
    static final long ZIGBEE_EPOCH = 946_684_800L;
    static final int GET_SNAPSHOT = 0x06;
    static final int PUBLISH_SNAPSHOT = 0x06;
    static final int STATUS_NOT_FOUND = 0x8B;

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

    /** The meter's clock. */
    public Instant now() {
        return Instant.ofEpochMilli(System.currentTimeMillis() + clockOffsetMillis);
    }

    /**
     * Sets the meter's clock, and how far it jumps ahead at each wake-up (zero: it runs with real time),
     * so a test can let half hours pass in seconds. The clock never runs ahead of real time.
     */
    public void setClock(Instant now, Duration stepPerWakeUp) {
        clockOffsetMillis = now.toEpochMilli() - System.currentTimeMillis();
        clockStepMillis = stepPerWakeUp.toMillis();
        clockJustSet = true;
    }

    /** Captures kept by the meter, oldest first: {epoch second, litres, today Wh, today pence}. */
    public synchronized List<long[]> history() {
        List<long[]> l = new ArrayList<>();
        history.forEach(h -> l.add(h.clone()));
        return l;
    }

    @Override
    protected Map<Integer, long[]> meteringAttributes() {
        return Map.of(ATTR_SUMMATION, new long[] {Zcl.TYPE_UINT48, litres},
                ATTR_UNIT, new long[] {Zcl.TYPE_ENUM8, 1},
                ATTR_MULTIPLIER, new long[] {Zcl.TYPE_UINT24, 1},
                ATTR_DIVISOR, new long[] {Zcl.TYPE_UINT24, 1000},
                ATTR_DEVICE_TYPE, new long[] {Zcl.TYPE_BITMAP8, 1},
                ATTR_TODAY_ENERGY_WH, new long[] {Zcl.TYPE_UINT24, todayWh},
                ATTR_TODAY_COST, new long[] {Zcl.TYPE_UINT32, todayPence},
                ATTR_SNAPSHOT_TIME, new long[] {Zcl.TYPE_UTC, lastCapture - ZIGBEE_EPOCH});
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
            if (clockJustSet) {
                clockJustSet = false;
            } else if (clockStepMillis > 0) {
                clockOffsetMillis = Math.min(0, clockOffsetMillis + clockStepMillis);
            }
            litres += 37;
            todayWh += 410;
            todayPence += 3;
            lastCapture = now().getEpochSecond();
            synchronized (this) {
                history.addLast(new long[] {lastCapture, litres, todayWh, todayPence});
                while (history.size() > HISTORY) {
                    history.removeFirst();
                }
            }
            awakeUntil = System.currentTimeMillis() + awakeWindowMillis;
            report(ATTR_SUMMATION, ATTR_TODAY_ENERGY_WH, ATTR_TODAY_COST, ATTR_SNAPSHOT_TIME);
        });
    }

    @Override
    protected void handleZcl(int cluster, int destinationEndpoint, Zcl.Header h, Frames.Reader r) {
        if (cluster == CLUSTER_METERING && h.clusterSpecific() && !h.serverToClient() && h.command() == GET_SNAPSHOT) {
            long earliest = r.u32() + ZIGBEE_EPOCH;
            long latest = r.u32() + ZIGBEE_EPOCH;
            int offset = r.u8();
            r.u32(); // snapshot cause: every capture here is a scheduled half-hour one
            List<long[]> found = new ArrayList<>();
            synchronized (this) {
                history.descendingIterator().forEachRemaining(c -> {
                    if (c[0] >= earliest && c[0] <= latest) {
                        found.add(c);
                    }
                });
            }
            if (offset >= found.size()) {
                defaultResponse(cluster, h, STATUS_NOT_FOUND);
                return;
            }
            long[] c = found.get(offset);
            Frames.Writer w = Zcl.header(true, true, true, h.sequence(), PUBLISH_SNAPSHOT)
                    .u32(c[0] & 0xFFFFFFFFL) // snapshot id: its capture second
                    .u32(c[0] - ZIGBEE_EPOCH).u8(Math.min(255, found.size())).u8(0).u8(1)
                    .u32(0x00000001) // cause: general
                    .u8(0) // payload type 0: TOU information set, delivered registers
                    .u48(c[1]) // CurrentSummationDelivered
                    .u32(c[3]) // BillToDateDelivered (daily billing period: today's cost)
                    .u32(c[0] - ZIGBEE_EPOCH) // BillToDateTimeStampDelivered
                    .u32(c[3]).u32(c[0] - ZIGBEE_EPOCH) // projected bill and its time stamp
                    .u8(0) // bill trailing digits
                    .u8(0); // no tiers in use
            sendZcl(cluster, HUB_ENDPOINT, w.toInts());
            return;
        }
        super.handleZcl(cluster, destinationEndpoint, h, r);
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
