package org.modhub.api.wan;

import java.util.OptionalInt;

/**
 * What a WAN link offers, so the head-end session can size its traffic.
 *
 * @param mtu largest payload in bytes one message may carry over the link without fragmentation
 *        at the session layer (e.g. 1500 for IP over cellular, ~1024 for an RF mesh)
 * @param nominalBandwidthBps nominal bandwidth in bit/s
 * @param metered whether traffic is charged by volume
 * @param signalDbm received signal strength in dBm, where the technology knows it
 */
public record LinkProperties(int mtu, long nominalBandwidthBps, boolean metered, OptionalInt signalDbm) {
    public LinkProperties {
        if (mtu <= 0) {
            throw new IllegalArgumentException("mtu must be positive: " + mtu);
        }
        if (nominalBandwidthBps <= 0) {
            throw new IllegalArgumentException("bandwidth must be positive: " + nominalBandwidthBps);
        }
        signalDbm = signalDbm == null ? OptionalInt.empty() : signalDbm;
    }
}
