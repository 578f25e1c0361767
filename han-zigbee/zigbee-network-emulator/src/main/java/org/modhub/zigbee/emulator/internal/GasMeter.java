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
import java.util.function.Consumer;

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
    /** Real time (epoch ms) of the last wake-up that captured, 0: none yet. */
    private volatile long lastWakeReal;
    /** The meter's non-volatile memory: gets its state after each capture, before the push goes out. */
    private volatile Consumer<byte[]> memory;
    static final int MEMORY_VERSION = 1;
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
            capture(System.currentTimeMillis());
            Consumer<byte[]> m = memory;
            if (m != null) {
                m.accept(memory()); // like a real meter: the capture is in its memory before it is sent
            }
            awakeUntil = System.currentTimeMillis() + awakeWindowMillis;
            report(ATTR_SUMMATION, ATTR_TODAY_ENERGY_WH, ATTR_TODAY_COST, ATTR_SNAPSHOT_TIME);
        });
    }

    /** One capture at real time {@code real}: some gas used, registers and history updated. */
    private void capture(long real) {
        litres += 37;
        todayWh += 410;
        todayPence += 3;
        lastCapture = (real + clockOffsetMillis) / 1000;
        lastWakeReal = real;
        synchronized (this) {
            history.addLast(new long[] {lastCapture, litres, todayWh, todayPence});
            while (history.size() > HISTORY) {
                history.removeFirst();
            }
        }
    }

    /**
     * Gives the meter a non-volatile memory: {@code sink} receives the meter's state (see
     * {@link #memory()}) after every capture, before the push is sent.
     */
    public void setMemory(Consumer<byte[]> sink) {
        this.memory = sink;
    }

    /**
     * The meter's state as its memory keeps it: registers, clock offset and step, the real time of the
     * last wake-up and the capture history. Versioned binary.
     */
    public synchronized byte[] memory() {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1 + 8 * 7 + 4 + history.size() * 32);
        b.put((byte) MEMORY_VERSION).putLong(litres).putLong(todayWh).putLong(todayPence).putLong(clockOffsetMillis)
                .putLong(clockStepMillis).putLong(lastWakeReal).putLong(lastCapture).putInt(history.size());
        for (long[] c : history) {
            b.putLong(c[0]).putLong(c[1]).putLong(c[2]).putLong(c[3]);
        }
        return b.array();
    }

    /**
     * Restores the state {@link #memory()} gave, as the meter finds it when the hub comes back: a
     * real meter keeps waking and capturing while the hub is down, so the wake-ups of period
     * {@code periodMillis} that fell between the last stored one and {@code nowMillis} are captured
     * now (at the times they would have had), without a push — the hub missed them.
     *
     * @return the number of wake-ups captured that way
     * @throws IllegalArgumentException if the state is malformed
     */
    public int restore(byte[] state, long periodMillis, long nowMillis) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(state);
        try {
            if (b.get() != MEMORY_VERSION) {
                throw new IllegalArgumentException("unknown gas meter memory version");
            }
            long l = b.getLong();
            long wh = b.getLong();
            long pence = b.getLong();
            long offset = b.getLong();
            long step = b.getLong();
            long wake = b.getLong();
            long capture = b.getLong();
            int n = b.getInt();
            if (n < 0 || n > HISTORY || b.remaining() != n * 32) {
                throw new IllegalArgumentException("gas meter memory holds " + b.remaining() + " octets for " + n + " captures");
            }
            Deque<long[]> h = new ArrayDeque<>();
            for (int i = 0; i < n; i++) {
                h.addLast(new long[] {b.getLong(), b.getLong(), b.getLong(), b.getLong()});
            }
            synchronized (this) {
                litres = l;
                todayWh = wh;
                todayPence = pence;
                clockOffsetMillis = offset;
                clockStepMillis = step;
                clockJustSet = false;
                lastWakeReal = wake;
                lastCapture = capture;
                history.clear();
                history.addAll(h);
                int missed = 0;
                if (wake > 0 && periodMillis > 0) {
                    for (long t = wake + periodMillis; t <= nowMillis && missed < HISTORY; t += periodMillis) {
                        if (clockStepMillis > 0) {
                            clockOffsetMillis = Math.min(0, clockOffsetMillis + clockStepMillis);
                        }
                        capture(t);
                        missed++;
                    }
                }
                return missed;
            }
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException("gas meter memory truncated", e);
        }
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
        // fixed delay, not fixed rate: a wake-up delayed by a busy machine is not followed by a burst of
        // catch-up wake-ups (two captures in one second would carry the same capture time)
        waking = network.scheduler().scheduleWithFixedDelay(this::wakeUp, periodMillis, periodMillis,
                TimeUnit.MILLISECONDS);
    }
}
