package org.modhub.zigbee.internal;

import com.zsmartsystems.zigbee.ZigBeeEndpointAddress;
import com.zsmartsystems.zigbee.zcl.ZclCommand;
import com.zsmartsystems.zigbee.zcl.ZclFieldSerializer;
import com.zsmartsystems.zigbee.zcl.protocol.ZclCommandDirection;
import com.zsmartsystems.zigbee.zcl.protocol.ZclDataType;

/**
 * A ZCL command whose payload the hub encodes itself, sent through the library (APS counter, ZCL
 * header, transaction matching). Used where the library's generated command classes do not fit: the
 * tunneling TransferData payload (the library types it as one integer), and server-to-client commands
 * the library generates with the wrong direction.
 */
final class RawZclCommand extends ZclCommand {
    private final byte[] payload;

    RawZclCommand(int cluster, int command, boolean generic, ZclCommandDirection direction, byte[] payload,
            ZigBeeEndpointAddress destination) {
        this.clusterId = cluster;
        this.commandId = command;
        this.genericCommand = generic;
        this.commandDirection = direction;
        this.payload = payload.clone();
        setDestinationAddress(destination);
        setApsSecurity(true);
    }

    @Override
    public void serialize(ZclFieldSerializer serializer) {
        for (byte b : payload) {
            serializer.serialize(b & 0xFF, ZclDataType.UNSIGNED_8_BIT_INTEGER);
        }
    }

    byte[] payload() {
        return payload.clone();
    }

    @Override
    public String toString() {
        return String.format("RawZclCommand[cluster=%04X, command=%02X, %d octets]", clusterId, commandId,
                payload.length);
    }
}
