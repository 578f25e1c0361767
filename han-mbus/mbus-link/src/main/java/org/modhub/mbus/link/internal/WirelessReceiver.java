package org.modhub.mbus.link.internal;

import java.time.Clock;
import java.util.Arrays;
import org.modhub.api.common.Eui64;
import org.modhub.mbus.link.internal.MbusDecodeException.Reason;

/** Wireless telegrams from a transceiver (or a raw receiver with block CRCs) into the {@link MeterSink}. */
final class WirelessReceiver {
    private final MeterSink sink;
    private final boolean withBlockCrcs;
    private final Clock clock;

    WirelessReceiver(MeterSink sink, boolean withBlockCrcs, Clock clock) {
        this.sink = sink;
        this.withBlockCrcs = withBlockCrcs;
        this.clock = clock;
    }

    /**
     * Takes one telegram from its L field on (transceivers may append an RSSI octet: octets beyond the
     * L field are ignored when the frame carries no CRCs).
     *
     * @return readings stored, or -1 if refused (an event says why)
     */
    int accept(byte[] frame) {
        Eui64 device = null;
        try {
            byte[] t = frame;
            if (!withBlockCrcs && t != null && t.length > 0 && t.length > (t[0] & 0xFF) + 1) {
                t = Arrays.copyOf(t, (t[0] & 0xFF) + 1);
            }
            if (t != null && t.length >= 10 && !withBlockCrcs) {
                device = Telegrams.eui(org.openmuc.jmbus.SecondaryAddress.newFromWMBusHeader(t, 2));
            }
            Telegram tel = Telegrams.decodeWireless(t, withBlockCrcs, sink.keyLookup());
            return sink.accept(tel, clock.instant());
        } catch (MbusDecodeException e) {
            sink.refused(e, device);
            return -1;
        } catch (RuntimeException e) {
            sink.refused(new MbusDecodeException(Reason.MALFORMED, "undecodable telegram: " + e, e), device);
            return -1;
        }
    }
}
