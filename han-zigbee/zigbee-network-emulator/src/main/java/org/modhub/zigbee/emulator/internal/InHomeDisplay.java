package org.modhub.zigbee.emulator.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An emulated in-home display (IHD): a client of the hub's messaging, price, time and metering
 * servers. It shows the messages and prices the hub publishes (and confirms messages), reads the hub's
 * UTC time and reads the gas meter's values from the hub's metering mirror endpoint.
 */
public final class InHomeDisplay extends EmulatedDevice {
    /** A message as shown. */
    public record Message(long id, int control, long startUtc, int durationMinutes, String text) {
    }

    /** A price as shown: the first fields of PublishPrice. */
    public record Price(long providerId, String rateLabel, long issuerEventId, long currentTime, int unit,
            int currency, int trailingDigitAndTier, long startTime, int durationMinutes, long price) {
    }

    /** Attributes read: id → value, or absent when the server reported a non-success status. */
    public record ReadResult(int sourceEndpoint, Map<Integer, Long> values, Map<Integer, Integer> statuses) {
    }

    private final List<Message> messages = new CopyOnWriteArrayList<>();
    private final List<Price> prices = new CopyOnWriteArrayList<>();
    private final Map<Integer, CompletableFuture<ReadResult>> pendingReads = new ConcurrentHashMap<>();

    public InHomeDisplay(long ieee, byte[] installCode) {
        super("in-home-display", ieee, installCode, false, 0x0507, List.of(SeMeter.CLUSTER_BASIC),
                List.of(SeMeter.CLUSTER_TIME, SeMeter.CLUSTER_PRICE, SeMeter.CLUSTER_METERING,
                        SeMeter.CLUSTER_MESSAGING));
    }

    public List<Message> messages() {
        return List.copyOf(messages);
    }

    public List<Price> prices() {
        return List.copyOf(prices);
    }

    static Price readPrice(Frames.Reader r) {
        long provider = r.u32();
        String label = r.string();
        long issuer = r.u32();
        long now = r.u32();
        int unit = r.u8();
        int currency = r.u16();
        int trailing = r.u8();
        r.u8(); // number of price tiers and register tier
        long start = r.u32();
        int duration = r.u16();
        long price = r.u32();
        return new Price(provider, label, issuer, now, unit, currency, trailing, start, duration, price);
    }

    @Override
    protected void handleZcl(int cluster, int destinationEndpoint, Zcl.Header h, Frames.Reader r) {
        if (!h.clusterSpecific() && h.command() == Zcl.READ_ATTRIBUTES_RESPONSE) {
            readResponse(destinationEndpoint, h, r);
            return;
        }
        if (cluster == SeMeter.CLUSTER_MESSAGING && h.clusterSpecific() && h.serverToClient() && h.command() == 0x00) {
            long id = r.u32();
            int control = r.u8();
            long start = r.u32();
            int duration = r.u16();
            String text = r.string();
            messages.add(new Message(id, control, start, duration, text));
            // MessageConfirmation (client to server, 0x01): id and confirmation time
            sendZcl(cluster, HUB_ENDPOINT, Zcl.header(true, false, true, nextSequence(), 0x01)
                    .u32(id).u32(start).toInts());
            return;
        }
        if (cluster == SeMeter.CLUSTER_PRICE && h.clusterSpecific() && h.serverToClient() && h.command() == 0x00) {
            prices.add(readPrice(r));
            defaultResponse(cluster, h, Zcl.STATUS_SUCCESS);
            return;
        }
        defaultResponse(cluster, h, Zcl.STATUS_UNSUP_CLUSTER_COMMAND);
    }

    /**
     * Reads attributes of one of the hub's server clusters. The answer arrives on the hub's endpoint's
     * read-attributes response.
     */
    public CompletableFuture<ReadResult> read(int cluster, int hubEndpoint, int... attributes) {
        int seq = nextSequence();
        CompletableFuture<ReadResult> f = new CompletableFuture<>();
        pendingReads.put(seq, f);
        Frames.Writer w = Zcl.header(false, false, false, seq, Zcl.READ_ATTRIBUTES);
        for (int a : attributes) {
            w.u16(a);
        }
        sendRaw(cluster, hubEndpoint, w.toInts());
        return f;
    }

    /** Asks the hub for the current price (GetCurrentPrice); the answer is a PublishPrice. */
    public void requestCurrentPrice() {
        sendRaw(SeMeter.CLUSTER_PRICE, HUB_ENDPOINT, Zcl.header(true, false, true, nextSequence(), 0x00).u8(0).toInts());
    }

    /** Answers from the hub arrive here (the network routes frames for the display's endpoint). */
    void readResponse(int sourceEndpoint, Zcl.Header h, Frames.Reader r) {
        CompletableFuture<ReadResult> f = pendingReads.remove(h.sequence());
        if (f == null) {
            return;
        }
        Map<Integer, Long> values = new LinkedHashMap<>();
        Map<Integer, Integer> statuses = new LinkedHashMap<>();
        try {
            while (r.remaining() > 0) {
                int id = r.u16();
                int status = r.u8();
                statuses.put(id, status);
                if (status == 0) {
                    values.put(id, Zcl.readValue(r, r.u8()));
                }
            }
            f.complete(new ReadResult(sourceEndpoint, values, statuses));
        } catch (IllegalArgumentException e) {
            f.completeExceptionally(e);
        }
    }
}
