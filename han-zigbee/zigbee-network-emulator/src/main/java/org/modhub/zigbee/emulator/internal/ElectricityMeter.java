package org.modhub.zigbee.emulator.internal;

import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * An emulated electricity meter (ESME), mains powered: summation in kWh with divisor 1000 (so the raw
 * value is Wh), demand in kW with divisor 1000 (raw W). Reports both every reporting period.
 */
public final class ElectricityMeter extends SeMeter {
    private volatile long summationWh;
    private volatile long demandW;
    private ScheduledFuture<?> reporting;

    public ElectricityMeter(long ieee, byte[] installCode, long summationWh, long demandW) {
        super("electricity-meter", ieee, installCode, false);
        this.summationWh = summationWh;
        this.demandW = demandW;
    }

    public long summationWh() {
        return summationWh;
    }

    public void setDemandW(long w) {
        this.demandW = w;
    }

    @Override
    protected Map<Integer, long[]> meteringAttributes() {
        return Map.of(ATTR_SUMMATION, new long[] {Zcl.TYPE_UINT48, summationWh},
                ATTR_DEMAND, new long[] {Zcl.TYPE_INT24, demandW},
                ATTR_UNIT, new long[] {Zcl.TYPE_ENUM8, 0},
                ATTR_MULTIPLIER, new long[] {Zcl.TYPE_UINT24, 1},
                ATTR_DIVISOR, new long[] {Zcl.TYPE_UINT24, 1000},
                ATTR_DEVICE_TYPE, new long[] {Zcl.TYPE_BITMAP8, 0});
    }

    /** Reports summation and demand every {@code periodMillis} while joined; energy advances with demand. */
    public synchronized void startReporting(long periodMillis) {
        if (reporting != null) {
            reporting.cancel(false);
        }
        reporting = network.scheduler().scheduleAtFixedRate(() -> {
            if (joined) {
                summationWh += Math.max(1, demandW * periodMillis / 3_600_000L);
                report(ATTR_SUMMATION, ATTR_DEMAND);
            }
        }, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
    }
}
