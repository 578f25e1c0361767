package org.modhub.bridge.gateway.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.HubEvent;
import org.modhub.api.event.Severity;

/**
 * Audit events for refused bridge reads and lookups. A bridge that keeps hammering gets one event per
 * bridge and code per {@link #WINDOW_NANOS}, the next one saying how many were not logged, so a
 * misbehaving bridge cannot flood the hub's (bounded) audit log.
 */
final class BridgeAudit {
    static final String READ_REFUSED = "BRIDGE_READ_REFUSED";
    static final String RATE_LIMITED = "BRIDGE_RATE_LIMITED";
    static final String WRITE_REFUSED = "BRIDGE_WRITE_REFUSED";
    static final String SOURCE = "bridge-gateway";
    static final long WINDOW_NANOS = 10_000_000_000L;

    private final Supplier<EventLog> events;
    private final Executor executor;
    private final LongSupplier nanoClock;
    private final Map<String, long[]> windows = new ConcurrentHashMap<>();

    BridgeAudit(Supplier<EventLog> events, Executor executor, LongSupplier nanoClock) {
        this.events = events;
        this.executor = executor;
        this.nanoClock = nanoClock;
    }

    /** Records a refusal; returns whether an event was (or will be) logged for it. */
    boolean refused(String code, String bridge, String detail) {
        long now = nanoClock.getAsLong();
        String key = code + '\u0000' + bridge;
        long suppressed;
        synchronized (windows) {
            long[] w = windows.get(key); // {window start, suppressed count}
            if (w != null && now - w[0] < WINDOW_NANOS) {
                w[1]++;
                return false;
            }
            suppressed = w == null ? 0 : w[1];
            windows.put(key, new long[] {now, 0});
        }
        String text = "bridge " + bridge + ": " + detail
                + (suppressed > 0 ? " (" + suppressed + " more refusals not logged)" : "");
        Severity severity = WRITE_REFUSED.equals(code) ? Severity.ERROR : Severity.WARNING;
        HubEvent event = HubEvent.of(EventKind.AUDIT, code, severity, null, SOURCE, text);
        executor.execute(() -> {
            EventLog log = events.get();
            if (log != null) {
                try {
                    log.log(event);
                } catch (RuntimeException e) {
                    System.err.println("[org.modhub.bridge] cannot log " + code + ": " + e);
                }
            }
        });
        return true;
    }
}
