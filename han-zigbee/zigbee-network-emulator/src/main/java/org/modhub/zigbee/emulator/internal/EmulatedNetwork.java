package org.modhub.zigbee.emulator.internal;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import com.zsmartsystems.zigbee.ExtendedPanId;
import com.zsmartsystems.zigbee.IeeeAddress;
import com.zsmartsystems.zigbee.ZigBeeChannel;
import com.zsmartsystems.zigbee.ZigBeeNodeStatus;
import com.zsmartsystems.zigbee.ZigBeeNwkAddressMode;
import com.zsmartsystems.zigbee.ZigBeeStatus;
import com.zsmartsystems.zigbee.aps.ZigBeeApsFrame;
import com.zsmartsystems.zigbee.aps.ZigBeeApsFrameFragment;
import com.zsmartsystems.zigbee.security.MmoHash;
import com.zsmartsystems.zigbee.security.ZigBeeKey;
import com.zsmartsystems.zigbee.transport.TransportConfig;
import com.zsmartsystems.zigbee.transport.TransportConfigOption;
import com.zsmartsystems.zigbee.transport.ZigBeeTransportProgressState;
import com.zsmartsystems.zigbee.transport.ZigBeeTransportReceive;
import com.zsmartsystems.zigbee.transport.ZigBeeTransportState;
import com.zsmartsystems.zigbee.transport.ZigBeeTransportTransmit;

/**
 * The emulated coordinator radio (what a dongle's network co-processor does) and the air between it
 * and the emulated devices. It keeps its network parameters as a dongle keeps them in flash, acts as
 * trust centre with the install-code link keys the host gives it ({@link TransportConfigOption#INSTALL_KEY}),
 * reports every join attempt to the host, and authenticates only devices whose install code hashes to
 * the key the host configured. Frames for a sleeping device fail (TX_NAK), as a parent's indirect queue
 * times out when the child does not poll.
 */
public final class EmulatedNetwork implements ZigBeeTransportTransmit {
    private static final int ZDO_NWK_ADDR_REQ = 0x0000;
    private static final int ZDO_IEEE_ADDR_REQ = 0x0001;
    private static final int ZDO_NODE_DESC_REQ = 0x0002;
    private static final int ZDO_POWER_DESC_REQ = 0x0003;
    private static final int ZDO_SIMPLE_DESC_REQ = 0x0004;
    private static final int ZDO_ACTIVE_EP_REQ = 0x0005;
    private static final int ZDO_DEVICE_ANNOUNCE = 0x0013;
    private static final int ZDO_MGMT_LEAVE_REQ = 0x0034;
    private static final int ZDO_MGMT_PERMIT_JOIN_REQ = 0x0036;

    private final long coordinatorIeee;
    private final ScheduledExecutorService radio;
    private final Random random = new Random();
    private volatile ZigBeeTransportReceive host;
    // "flash" of the co-processor
    private volatile boolean formed;
    private volatile int channel = 11;
    private volatile int panId;
    private volatile ExtendedPanId extendedPanId = new ExtendedPanId("0000000000000000");
    private volatile ZigBeeKey networkKey = new ZigBeeKey();
    private volatile ZigBeeKey tcLinkKey = new ZigBeeKey("5A6967426565416C6C69616E63653039");
    private final Map<Long, int[]> installKeys = new ConcurrentHashMap<>();
    private volatile long permitJoinUntil;
    private final List<EmulatedDevice> devices = new CopyOnWriteArrayList<>();
    private final Map<Integer, EmulatedDevice> byNwk = new ConcurrentHashMap<>();
    private final AtomicInteger joinAttempts = new AtomicInteger();
    private final AtomicInteger refusedByTrustCentre = new AtomicInteger();
    private final AtomicInteger framesToSleepingDevice = new AtomicInteger();
    private final AtomicInteger hostExceptions = new AtomicInteger();
    /** APS fragments being reassembled: (destination, APS counter) → octets so far and the next expected block. */
    private final Map<Long, Reassembly> reassembly = new ConcurrentHashMap<>();
    private final AtomicInteger reassembled = new AtomicInteger();

    private static final class Reassembly {
        final java.io.ByteArrayOutputStream octets = new java.io.ByteArrayOutputStream();
        int next;
    }
    private volatile boolean online;
    /** The coordinator's own node, as it answers ZDO requests addressed to it (NWK 0x0000). */
    private final EmulatedDevice self;

    public EmulatedNetwork(long coordinatorIeee) {
        this.coordinatorIeee = coordinatorIeee;
        this.self = new EmulatedDevice("coordinator", coordinatorIeee, new byte[0], false, 0x0500,
                List.of(0x0000, 0x000A, 0x0700, 0x0703), List.of(0x0702, 0x0704)) {
            @Override
            protected void handleZcl(int cluster, int destinationEndpoint, Zcl.Header header, Frames.Reader payload) {
            }
        };
        self.nwk = 0;
        self.joined = true;
        self.network = this;
        this.radio = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "zigbee-emulator-radio");
            t.setDaemon(true);
            return t;
        });
    }

    // ---- the air ---------------------------------------------------------------------------------

    /** Puts a device within radio range; it joins when it tries and the trust centre lets it. */
    public void add(EmulatedDevice device) {
        device.network = this;
        devices.add(device);
    }

    public List<EmulatedDevice> devices() {
        return List.copyOf(devices);
    }

    void radio(Runnable r) {
        if (!radio.isShutdown()) {
            radio.execute(() -> {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    hostExceptions.incrementAndGet();
                }
            });
        }
    }

    ScheduledExecutorService scheduler() {
        return radio;
    }

    /** Delivers a frame from a device to the host. */
    void toHub(ZigBeeApsFrame frame) {
        ZigBeeTransportReceive h = host;
        if (h != null && online) {
            try {
                h.receiveCommand(frame);
            } catch (RuntimeException e) {
                // a host that throws here lets the co-processor's thread die on a real dongle driver
                hostExceptions.incrementAndGet();
            }
        }
    }

    /**
     * The device tries to join. Every attempt is reported to the host; the device is authenticated only
     * when joining is permitted and its install code hashes to the key the host configured for it.
     *
     * @return whether the device is now on the network
     */
    public boolean tryJoin(EmulatedDevice device) {
        if (device.joined) {
            return true;
        }
        if (!online || System.currentTimeMillis() > permitJoinUntil) {
            return false;
        }
        joinAttempts.incrementAndGet();
        int nwk = device.nwk > 0 ? device.nwk : newNwk();
        device.nwk = nwk;
        ZigBeeTransportReceive h = host;
        int[] key = installKeys.get(device.ieee);
        int[] derived = new MmoHash(toInts(device.installCode)).getHash();
        if (key == null || !Arrays.equals(key, derived)) {
            refusedByTrustCentre.incrementAndGet();
            h.nodeStatusUpdate(ZigBeeNodeStatus.UNSECURED_JOIN, nwk, device.ieeeAddress());
            // the device cannot decrypt the network key: it never completes the join
            radio.schedule(() -> {
                if (!device.joined) {
                    host.nodeStatusUpdate(ZigBeeNodeStatus.DEVICE_LEFT, nwk, device.ieeeAddress());
                }
            }, 200, TimeUnit.MILLISECONDS);
            return false;
        }
        device.joined = true;
        byNwk.put(nwk, device);
        device.joinedNetwork();
        h.nodeStatusUpdate(ZigBeeNodeStatus.UNSECURED_JOIN, nwk, device.ieeeAddress());
        radio(() -> {
            ZigBeeApsFrame announce = device.frame(ZDO_DEVICE_ANNOUNCE, 0, 0, 0);
            announce.setDestinationAddress(0xFFFD);
            announce.setPayload(new Frames.Writer().u8(0).u16(nwk).u64(device.ieee)
                    .u8(device.sleepy ? 0x80 : 0x8E).toInts());
            toHub(announce);
        });
        return true;
    }

    private int newNwk() {
        while (true) {
            int n = 1 + random.nextInt(0xFFF6);
            if (!byNwk.containsKey(n)) {
                return n;
            }
        }
    }

    static int[] toInts(byte[] b) {
        int[] r = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = b[i] & 0xFF;
        }
        return r;
    }

    public boolean isJoinPermitted() {
        return System.currentTimeMillis() <= permitJoinUntil;
    }

    public int joinAttempts() {
        return joinAttempts.get();
    }

    public int refusedByTrustCentre() {
        return refusedByTrustCentre.get();
    }

    /**
     * Application (ZCL) frames the host sent to a sleeping device (the device never saw them). ZDO
     * requests of the host's discovery are not counted.
     */
    public int framesToSleepingDevice() {
        return framesToSleepingDevice.get();
    }

    /** Exceptions the host threw back into the radio thread (a well-behaved host throws none). */
    public int hostExceptions() {
        return hostExceptions.get();
    }

    /** Messages the devices received in more than one APS fragment and reassembled. */
    public int reassembledMessages() {
        return reassembled.get();
    }

    public boolean isFormed() {
        return formed;
    }

    /** Forgets everything, as a new or factory-reset dongle. */
    public void factoryReset() {
        formed = false;
        panId = 0;
        installKeys.clear();
        byNwk.clear();
        for (EmulatedDevice d : devices) {
            d.joined = false;
            d.nwk = -1;
        }
    }

    // ---- transport SPI ---------------------------------------------------------------------------

    @Override
    public ZigBeeStatus initialize() {
        return ZigBeeStatus.SUCCESS;
    }

    @Override
    public ZigBeeStatus startup(boolean reinitialize) {
        if (reinitialize || !formed) {
            if (panId == 0) {
                panId = 1 + random.nextInt(0xFFF0);
            }
            formed = true;
            if (reinitialize) {
                byNwk.clear();
                for (EmulatedDevice d : devices) {
                    d.joined = false;
                    d.nwk = -1;
                }
            }
        }
        online = true;
        ZigBeeTransportReceive h = host;
        radio(() -> h.setTransportState(ZigBeeTransportState.ONLINE));
        return ZigBeeStatus.SUCCESS;
    }

    @Override
    public void shutdown() {
        online = false;
    }

    /** Stops the radio thread for good. */
    public void close() {
        online = false;
        radio.shutdownNow();
    }

    @Override
    public String getVersionString() {
        return "modhub-emulator-1";
    }

    @Override
    public IeeeAddress getIeeeAddress() {
        return new IeeeAddress(String.format("%016X", coordinatorIeee));
    }

    @Override
    public Integer getNwkAddress() {
        return 0;
    }

    @Override
    public void sendCommand(int msgTag, ZigBeeApsFrame apsFrame) {
        radio(() -> transmit(msgTag, apsFrame));
    }

    /**
     * The host's library hands transport progress to several notification threads, so TX_ACK, RX_ACK
     * and the response are spaced a little apart, as they are in the air, to arrive in that order.
     */
    private static final long STEP_MILLIS = 15;

    private void later(long steps, Runnable r) {
        if (!radio.isShutdown()) {
            radio.schedule(() -> {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    hostExceptions.incrementAndGet();
                }
            }, steps * STEP_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void transmit(int msgTag, ZigBeeApsFrame aps) {
        ZigBeeTransportReceive h = host;
        int dst = aps.getDestinationAddress();
        if (aps.getAddressMode() == ZigBeeNwkAddressMode.GROUP || dst >= 0xFFF8) {
            h.receiveCommandState(msgTag, ZigBeeTransportProgressState.TX_ACK);
            if (aps.getProfile() == 0) {
                later(2, () -> {
                    for (EmulatedDevice d : devices) {
                        if (d.joined && d.isAwake()) {
                            zdo(d, aps);
                        }
                    }
                    zdo(null, aps);
                });
            }
            return;
        }
        EmulatedDevice d = dst == 0 ? null : byNwk.get(dst);
        if (dst != 0) {
            if (d == null || !d.joined) {
                h.receiveCommandState(msgTag, ZigBeeTransportProgressState.TX_NAK);
                return;
            }
            if (!d.isAwake() || !d.inRange) {
                if (aps.getProfile() != 0 && !d.isAwake()) {
                    framesToSleepingDevice.incrementAndGet();
                }
                h.receiveCommandState(msgTag, ZigBeeTransportProgressState.TX_NAK);
                return;
            }
        }
        int[] payload = aps.getPayload();
        boolean last = true;
        if (aps instanceof ZigBeeApsFrameFragment fragment && fragment.getFragmentTotal() > 1) {
            // APS fragmentation (extended header): blocks arrive one by one, each acknowledged; the
            // message reaches the device's application only when its last block is in
            long key = (long) dst << 8 | (aps.getApsCounter() & 0xFF);
            int n = fragment.getFragmentNumber();
            Reassembly ra = n == 0 ? new Reassembly() : reassembly.get(key);
            if (ra == null || ra.next != n) {
                reassembly.remove(key); // out of order or a lost first block: the message is dropped
                h.receiveCommandState(msgTag, ZigBeeTransportProgressState.RX_NAK);
                return;
            }
            reassembly.put(key, ra);
            int[] block = aps.getPayload();
            for (int b : block) {
                ra.octets.write(b);
            }
            ra.next = n + 1;
            last = n + 1 == fragment.getFragmentTotal();
            if (last) {
                reassembly.remove(key);
                reassembled.incrementAndGet();
                payload = toInts(ra.octets.toByteArray());
            }
        }
        h.receiveCommandState(msgTag, ZigBeeTransportProgressState.TX_ACK);
        if (aps.getAckRequest()) {
            later(1, () -> h.receiveCommandState(msgTag, ZigBeeTransportProgressState.RX_ACK));
        }
        if (!last) {
            return;
        }
        int[] message = payload;
        later(2, () -> {
            if (dst == 0) {
                if (aps.getProfile() == 0) {
                    zdo(null, aps);
                }
                return;
            }
            if (aps.getProfile() == 0) {
                zdo(d, aps);
                return;
            }
            d.framesReceived.incrementAndGet();
            Frames.Reader r = new Frames.Reader(message);
            Zcl.Header header = Zcl.readHeader(r);
            if (!header.clusterSpecific() && header.command() == Zcl.DEFAULT_RESPONSE) {
                return; // never answered
            }
            d.handleZcl(aps.getCluster(), aps.getDestinationEndpoint(), header, r);
        });
    }

    /** ZDO requests: d is the addressed device, or null for the coordinator itself. */
    private void zdo(EmulatedDevice d, ZigBeeApsFrame aps) {
        Frames.Reader r = new Frames.Reader(aps.getPayload());
        int seq = r.u8();
        int cluster = aps.getCluster();
        boolean coordinator = d == null;
        if (coordinator) {
            if (cluster == ZDO_MGMT_PERMIT_JOIN_REQ) {
                int seconds = r.u8();
                permitJoinUntil = seconds == 0 ? 0 : System.currentTimeMillis() + seconds * 1000L;
                if (aps.getDestinationAddress() == 0) {
                    ZigBeeApsFrame rsp = self.frame(0x8000 | cluster, 0, 0, 0);
                    rsp.setPayload(new Frames.Writer().u8(seq).u8(0).toInts());
                    toHub(rsp);
                }
                return;
            }
            if (aps.getDestinationAddress() != 0) {
                return; // broadcasts other than permit-join are for the devices
            }
            d = self;
        }
        Frames.Writer w = new Frames.Writer().u8(seq);
        switch (cluster) {
            case ZDO_NWK_ADDR_REQ -> {
                long ieee = r.u64();
                if (ieee != d.ieee) {
                    return;
                }
                w.u8(0).u64(d.ieee).u16(d.nwk).u8(0).u8(0);
            }
            case ZDO_IEEE_ADDR_REQ -> {
                if (r.u16() != d.nwk) {
                    return;
                }
                w.u8(0).u64(d.ieee).u16(d.nwk).u8(0).u8(0);
            }
            case ZDO_NODE_DESC_REQ -> {
                // end device; 2.4 GHz; MAC capabilities: mains powered + rx on when idle unless sleepy
                int mac = coordinator ? 0x8F : d.sleepy ? 0x80 : 0x8C;
                w.u8(0).u16(d.nwk).u8(coordinator ? 0x00 : 0x02).u8(0x40).u8(mac).u16(0x1234).u8(80).u16(160).u16(0x0000).u16(160)
                        .u8(0x00);
            }
            case ZDO_POWER_DESC_REQ -> {
                // current mode: rx periodically (sleepy) or on when idle; source: battery or mains
                int mode = d.sleepy ? 0x01 : 0x00;
                int sources = d.sleepy ? 0x4 : 0x1;
                w.u8(0).u16(d.nwk).u8(mode | sources << 4).u8(sources | 0xC0);
            }
            case ZDO_ACTIVE_EP_REQ -> w.u8(0).u16(d.nwk).u8(1).u8(d.endpoint);
            case ZDO_SIMPLE_DESC_REQ -> {
                r.u16();
                int ep = r.u8();
                if (ep != d.endpoint) {
                    w.u8(0x82).u16(d.nwk); // INVALID_EP
                } else {
                    Frames.Writer sd = new Frames.Writer().u8(d.endpoint).u16(EmulatedDevice.PROFILE_SE).u16(d.deviceId)
                            .u8(0).u8(d.inputClusters.size());
                    d.inputClusters.forEach(sd::u16);
                    sd.u8(d.outputClusters.size());
                    d.outputClusters.forEach(sd::u16);
                    int[] body = sd.toInts();
                    w.u8(0).u16(d.nwk).u8(body.length);
                    for (int b : body) {
                        w.u8(b);
                    }
                }
            }
            case ZDO_MGMT_LEAVE_REQ -> {
                w.u8(0);
                ZigBeeApsFrame rsp = d.frame(0x8000 | cluster, 0, 0, 0);
                rsp.setPayload(w.toInts());
                toHub(rsp);
                d.joined = false;
                byNwk.remove(d.nwk);
                int nwk = d.nwk;
                host.nodeStatusUpdate(ZigBeeNodeStatus.DEVICE_LEFT, nwk, d.ieeeAddress());
                return;
            }
            default -> {
                return; // not supported by the emulated devices: the host's request times out
            }
        }
        ZigBeeApsFrame rsp = d.frame(0x8000 | cluster, 0, 0, 0);
        rsp.setPayload(w.toInts());
        toHub(rsp);
    }

    @Override
    public void setZigBeeTransportReceive(ZigBeeTransportReceive zigbeeTransportReceive) {
        this.host = zigbeeTransportReceive;
    }

    @Override
    public ZigBeeChannel getZigBeeChannel() {
        return ZigBeeChannel.create(channel);
    }

    @Override
    public ZigBeeStatus setZigBeeChannel(ZigBeeChannel channel) {
        if (channel == null || channel.getChannel() < 11 || channel.getChannel() > 26) {
            return ZigBeeStatus.INVALID_ARGUMENTS;
        }
        this.channel = channel.getChannel();
        return ZigBeeStatus.SUCCESS;
    }

    @Override
    public int getZigBeePanId() {
        return panId;
    }

    @Override
    public ZigBeeStatus setZigBeePanId(int panId) {
        if (panId < 0 || panId > 0xFFFE) {
            return ZigBeeStatus.INVALID_ARGUMENTS;
        }
        this.panId = panId;
        return ZigBeeStatus.SUCCESS;
    }

    @Override
    public ExtendedPanId getZigBeeExtendedPanId() {
        return extendedPanId;
    }

    @Override
    public ZigBeeStatus setZigBeeExtendedPanId(ExtendedPanId panId) {
        this.extendedPanId = panId;
        return ZigBeeStatus.SUCCESS;
    }

    @Override
    public ZigBeeStatus setZigBeeNetworkKey(ZigBeeKey key) {
        this.networkKey = key;
        return ZigBeeStatus.SUCCESS;
    }

    @Override
    public ZigBeeKey getZigBeeNetworkKey() {
        return networkKey;
    }

    @Override
    public ZigBeeStatus setTcLinkKey(ZigBeeKey key) {
        this.tcLinkKey = key;
        return ZigBeeStatus.SUCCESS;
    }

    @Override
    public ZigBeeKey getTcLinkKey() {
        return tcLinkKey;
    }

    @Override
    public void updateTransportConfig(TransportConfig configuration) {
        for (TransportConfigOption option : configuration.getOptions()) {
            if (option == TransportConfigOption.INSTALL_KEY) {
                ZigBeeKey key = configuration.getValue(option);
                if (key == null || !key.hasAddress()) {
                    configuration.setResult(option, ZigBeeStatus.INVALID_ARGUMENTS);
                    continue;
                }
                installKeys.put(Long.parseUnsignedLong(key.getAddress().toString(), 16), key.getValue().clone());
                configuration.setResult(option, ZigBeeStatus.SUCCESS);
            } else {
                configuration.setResult(option, ZigBeeStatus.SUCCESS);
            }
        }
    }
}
