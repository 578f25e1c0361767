package org.modhub.zigbee.emulator.internal;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the emulated meters share: the metering server cluster (read and report), the tunneling server
 * (request tunnel, transfer data) and the price client.
 */
public abstract class SeMeter extends EmulatedDevice {
    public static final int CLUSTER_BASIC = 0x0000;
    public static final int CLUSTER_TIME = 0x000A;
    public static final int CLUSTER_PRICE = 0x0700;
    public static final int CLUSTER_METERING = 0x0702;
    public static final int CLUSTER_MESSAGING = 0x0703;
    public static final int CLUSTER_TUNNELING = 0x0704;

    public static final int ATTR_SUMMATION = 0x0000;
    public static final int ATTR_UNIT = 0x0300;
    public static final int ATTR_MULTIPLIER = 0x0301;
    public static final int ATTR_DIVISOR = 0x0302;
    public static final int ATTR_DEVICE_TYPE = 0x0306;
    public static final int ATTR_DEMAND = 0x0400;

    private final List<byte[]> tunnelled = new CopyOnWriteArrayList<>();
    private final List<Long> prices = new CopyOnWriteArrayList<>();
    private final Map<Integer, Boolean> tunnels = new ConcurrentHashMap<>();
    private final AtomicInteger nextTunnel = new AtomicInteger(1);

    protected SeMeter(String name, long ieee, byte[] installCode, boolean sleepy) {
        super(name, ieee, installCode, sleepy, 0x0501,
                List.of(CLUSTER_BASIC, CLUSTER_METERING, CLUSTER_TUNNELING),
                List.of(CLUSTER_TIME, CLUSTER_PRICE));
    }

    /** Metering attribute values: id → {type, value}; absent ids are unsupported. */
    protected abstract Map<Integer, long[]> meteringAttributes();

    /** Payloads that arrived through the tunnel, unchanged, oldest first. */
    public List<byte[]> tunnelled() {
        return List.copyOf(tunnelled);
    }

    /** Prices (tenths of minor units per kWh as published) received, oldest first. */
    public List<Long> prices() {
        return List.copyOf(prices);
    }

    @Override
    protected void handleZcl(int cluster, int destinationEndpoint, Zcl.Header h, Frames.Reader r) {
        if (cluster == CLUSTER_METERING && !h.clusterSpecific() && h.command() == Zcl.READ_ATTRIBUTES) {
            Map<Integer, long[]> attrs = meteringAttributes();
            Frames.Writer w = Zcl.header(false, true, true, h.sequence(), Zcl.READ_ATTRIBUTES_RESPONSE);
            while (r.remaining() >= 2) {
                int id = r.u16();
                long[] tv = attrs.get(id);
                w.u16(id);
                if (tv == null) {
                    w.u8(Zcl.STATUS_UNSUPPORTED_ATTRIBUTE);
                } else {
                    w.u8(0).u8((int) tv[0]);
                    Zcl.value(w, (int) tv[0], tv[1]);
                }
            }
            sendZcl(cluster, HUB_ENDPOINT, w.toInts());
            return;
        }
        if (cluster == CLUSTER_TUNNELING && h.clusterSpecific() && !h.serverToClient()) {
            if (h.command() == 0x00) { // RequestTunnel
                r.u8();
                r.u16();
                r.u8();
                r.u16();
                int id = nextTunnel.getAndIncrement();
                tunnels.put(id, Boolean.TRUE);
                sendZcl(cluster, HUB_ENDPOINT, Zcl.header(true, true, true, h.sequence(), 0x00)
                        .u16(id).u8(0).u16(1500).toInts());
                return;
            }
            if (h.command() == 0x02) { // TransferData
                int id = r.u16();
                if (!tunnels.containsKey(id)) {
                    // TransferDataError: no such tunnel
                    sendZcl(cluster, HUB_ENDPOINT, Zcl.header(true, true, true, h.sequence(), 0x02)
                            .u16(id).u8(0x00).toInts());
                    return;
                }
                tunnelled.add(r.rest());
                defaultResponse(cluster, h, Zcl.STATUS_SUCCESS);
                return;
            }
        }
        if (cluster == CLUSTER_PRICE && h.clusterSpecific() && h.serverToClient() && h.command() == 0x00) {
            prices.add(InHomeDisplay.readPrice(r).price());
            defaultResponse(cluster, h, Zcl.STATUS_SUCCESS);
            return;
        }
        defaultResponse(cluster, h, Zcl.STATUS_UNSUP_CLUSTER_COMMAND);
    }

    /** Reports the given metering attributes to the hub. */
    protected void report(int... attributeIds) {
        Map<Integer, long[]> attrs = meteringAttributes();
        Frames.Writer w = Zcl.header(false, true, true, nextSequence(), Zcl.REPORT_ATTRIBUTES);
        for (int id : attributeIds) {
            long[] tv = attrs.get(id);
            w.u16(id).u8((int) tv[0]);
            Zcl.value(w, (int) tv[0], tv[1]);
        }
        sendZcl(CLUSTER_METERING, HUB_ENDPOINT, w.toInts());
    }
}
