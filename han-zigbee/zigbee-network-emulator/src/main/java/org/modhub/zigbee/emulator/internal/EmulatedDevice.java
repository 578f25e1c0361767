package org.modhub.zigbee.emulator.internal;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import com.zsmartsystems.zigbee.IeeeAddress;
import com.zsmartsystems.zigbee.ZigBeeNwkAddressMode;
import com.zsmartsystems.zigbee.aps.ZigBeeApsFrame;

/**
 * One emulated Smart Energy device with one application endpoint. It answers the ZDO descriptor
 * requests of discovery and handles the ZCL frames of its clusters in {@link #handleZcl}; frames it
 * sends carry its own APS counter.
 */
public abstract class EmulatedDevice {
    /** Smart Energy profile. */
    public static final int PROFILE_SE = 0x0109;
    /** The hub's application endpoint. */
    public static final int HUB_ENDPOINT = 1;

    final String name;
    final long ieee;
    final byte[] installCode;
    final boolean sleepy;
    final int endpoint = 1;
    final int deviceId;
    final List<Integer> inputClusters;
    final List<Integer> outputClusters;
    private final AtomicInteger apsCounter = new AtomicInteger();
    private final AtomicInteger zclSequence = new AtomicInteger();
    volatile EmulatedNetwork network;
    volatile int nwk = -1;
    volatile boolean joined;
    /** Whether the device's radio reaches the hub (false: an outage of the HAN link, the device keeps running). */
    volatile boolean inRange = true;
    /** ZCL frames that reached the device. */
    final AtomicInteger framesReceived = new AtomicInteger();

    protected EmulatedDevice(String name, long ieee, byte[] installCode, boolean sleepy, int deviceId,
            List<Integer> inputClusters, List<Integer> outputClusters) {
        this.name = name;
        this.ieee = ieee;
        this.installCode = installCode.clone();
        this.sleepy = sleepy;
        this.deviceId = deviceId;
        this.inputClusters = List.copyOf(inputClusters);
        this.outputClusters = List.copyOf(outputClusters);
    }

    public String name() {
        return name;
    }

    /** The device's EUI-64 as a number (most significant octet first). */
    public long ieee() {
        return ieee;
    }

    public IeeeAddress ieeeAddress() {
        return new IeeeAddress(String.format("%016X", ieee));
    }

    /** Install code with CRC, as printed on the device. */
    public byte[] installCode() {
        return installCode.clone();
    }

    public boolean isJoined() {
        return joined;
    }

    public int networkAddress() {
        return nwk;
    }

    public boolean isSleepy() {
        return sleepy;
    }

    /** Whether the radio is on: always for mains-powered devices. */
    public boolean isAwake() {
        return true;
    }

    /** Moves the device out of (false) or back into (true) the hub's radio range. */
    public void setInRange(boolean inRange) {
        EmulatedNetwork n = network;
        if (n == null) {
            this.inRange = inRange;
        } else {
            n.radio(() -> this.inRange = inRange); // in order with the device's other radio events
        }
    }

    public boolean isInRange() {
        return inRange;
    }

    public int framesReceived() {
        return framesReceived.get();
    }

    int nextSequence() {
        return zclSequence.getAndIncrement() & 0xFF;
    }

    /** Handles a ZCL frame (header included) addressed to this device, on the radio thread. */
    protected abstract void handleZcl(int cluster, int destinationEndpoint, Zcl.Header header, Frames.Reader payload);

    /** Called on the radio thread when the device completed joining. */
    protected void joinedNetwork() {
    }

    /** Sends a ZCL frame to the hub. */
    protected void sendZcl(int cluster, int hubEndpoint, int[] zclFrame) {
        EmulatedNetwork n = network;
        if (n == null || !joined || !inRange) {
            return;
        }
        ZigBeeApsFrame aps = frame(cluster, PROFILE_SE, endpoint, hubEndpoint);
        aps.setPayload(zclFrame);
        n.toHub(aps);
    }

    ZigBeeApsFrame frame(int cluster, int profile, int sourceEndpoint, int destinationEndpoint) {
        ZigBeeApsFrame aps = new ZigBeeApsFrame();
        aps.setCluster(cluster);
        aps.setProfile(profile);
        aps.setSourceAddress(nwk);
        aps.setSourceEndpoint(sourceEndpoint);
        aps.setDestinationAddress(0);
        aps.setDestinationEndpoint(destinationEndpoint);
        aps.setAddressMode(ZigBeeNwkAddressMode.DEVICE);
        aps.setApsCounter(apsCounter.getAndIncrement() & 0xFF);
        aps.setSecurityEnabled(true);
        aps.setRadius(8);
        return aps;
    }

    /** Sends the raw octets as a ZCL frame: for malformed-frame tests. */
    public void sendRaw(int cluster, int hubEndpoint, int[] octets) {
        EmulatedNetwork n = network;
        if (n != null) {
            n.radio(() -> sendZcl(cluster, hubEndpoint, octets));
        }
    }

    /** A ZCL default response for a command that asked for one. */
    protected void defaultResponse(int cluster, Zcl.Header request, int status) {
        if (request.disableDefaultResponse()) {
            return;
        }
        int[] frame = Zcl.header(false, !request.serverToClient(), true, request.sequence(), Zcl.DEFAULT_RESPONSE)
                .u8(request.command()).u8(status).toInts();
        sendZcl(cluster, HUB_ENDPOINT, frame);
    }

    @Override
    public String toString() {
        return name + " " + String.format("%016X", ieee);
    }
}
