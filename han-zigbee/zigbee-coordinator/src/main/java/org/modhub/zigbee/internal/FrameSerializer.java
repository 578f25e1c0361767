package org.modhub.zigbee.internal;

import java.util.Arrays;
import com.zsmartsystems.zigbee.serialization.DefaultSerializer;
import com.zsmartsystems.zigbee.serialization.ZigBeeSerializer;
import com.zsmartsystems.zigbee.zcl.protocol.ZclDataType;

/**
 * The library's {@link DefaultSerializer} writes into a fixed 131-octet buffer, so a ZCL command with a
 * longer payload (a tunnelled head-end payload of a few hundred octets) fails before it reaches the
 * APS layer that would fragment it. This serializer encodes each value with a fresh
 * {@link DefaultSerializer} (the same octets) and collects them in a buffer that grows. Public with a
 * public constructor: the network manager instantiates it by reflection.
 */
public final class FrameSerializer implements ZigBeeSerializer {
    private int[] buffer = new int[128];
    private int length;

    public FrameSerializer() {
    }

    @Override
    public void appendZigBeeType(Object data, ZclDataType type) {
        DefaultSerializer one = new DefaultSerializer();
        one.appendZigBeeType(data, type);
        int[] octets = one.getPayload();
        if (length + octets.length > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, length + octets.length));
        }
        System.arraycopy(octets, 0, buffer, length, octets.length);
        length += octets.length;
    }

    @Override
    public int[] getPayload() {
        return Arrays.copyOf(buffer, length);
    }
}
