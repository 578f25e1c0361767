package org.modhub.zigbee.internal;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import com.zsmartsystems.zigbee.CommandResult;
import com.zsmartsystems.zigbee.ExtendedPanId;
import com.zsmartsystems.zigbee.IeeeAddress;
import com.zsmartsystems.zigbee.ZigBeeChannel;
import com.zsmartsystems.zigbee.ZigBeeEndpointAddress;
import com.zsmartsystems.zigbee.ZigBeeNetworkManager;
import com.zsmartsystems.zigbee.ZigBeeNetworkState;
import com.zsmartsystems.zigbee.ZigBeeNode;
import com.zsmartsystems.zigbee.ZigBeeNodeStatus;
import com.zsmartsystems.zigbee.ZigBeeStatus;
import com.zsmartsystems.zigbee.app.discovery.ZigBeeDiscoveryExtension;
import com.zsmartsystems.zigbee.aps.ZigBeeApsFrame;
import com.zsmartsystems.zigbee.security.MmoHash;
import com.zsmartsystems.zigbee.security.ZigBeeKey;
import com.zsmartsystems.zigbee.serialization.DefaultDeserializer;
import com.zsmartsystems.zigbee.transport.TransportConfig;
import com.zsmartsystems.zigbee.transport.TransportConfigOption;
import com.zsmartsystems.zigbee.transport.TrustCentreJoinMode;
import com.zsmartsystems.zigbee.transport.ZigBeeTransportProgressState;
import com.zsmartsystems.zigbee.transport.ZigBeeTransportReceive;
import com.zsmartsystems.zigbee.transport.ZigBeeTransportState;
import com.zsmartsystems.zigbee.transport.ZigBeeTransportTransmit;
import com.zsmartsystems.zigbee.zcl.ZclTransactionMatcher;
import com.zsmartsystems.zigbee.zcl.clusters.general.DefaultResponse;
import com.zsmartsystems.zigbee.zcl.clusters.smartenergytunneling.RequestTunnel;
import com.zsmartsystems.zigbee.zcl.clusters.smartenergytunneling.RequestTunnelResponse;
import com.zsmartsystems.zigbee.zcl.protocol.ZclCommandDirection;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.HubEvent;
import org.modhub.api.event.Severity;
import org.modhub.api.gas.GasMeterRecovery;
import org.modhub.api.gas.GasProxy;
import org.modhub.api.gas.GasPush;
import org.modhub.api.gas.MirrorRead;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceType;
import org.modhub.api.han.DisplayPrice;
import org.modhub.api.han.HanDevice;
import org.modhub.api.han.HanDisplays;
import org.modhub.api.han.HanNetwork;
import org.modhub.api.han.HanNetworkState;
import org.modhub.api.han.InstallCode;
import org.modhub.api.han.MessageExpiredException;
import org.modhub.api.han.UnknownDeviceException;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.metering.ObisCode;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.Unit;
import org.modhub.api.store.StateStore;
import org.osgi.service.log.Logger;

/**
 * The hub as ZigBee Smart Energy coordinator and trust centre, on a com.zsmartsystems.zigbee
 * {@link ZigBeeNetworkManager} over whichever transport (dongle driver or emulator) it is given.
 *
 * <p>Between the transport and the library sits a {@link Gate}: it admits joins only for devices in
 * the device log (everything else is refused, logged and told to leave), drops frames from devices it
 * has not admitted, checks every ZCL frame with the hub's own strict decoder (a malformed frame is
 * refused with {@link MalformedZclFrameException} and an event, and never reaches the library), maps
 * metering attributes into the metering model, hands gas meter pushes to the {@link GasProxy}, serves
 * the hub's own server clusters (time, price, messaging confirmations, and the gas mirror's metering
 * endpoint, which never wakes the meter) and delivers what waits for a sleepy device when it is heard.
 */
final class Coordinator implements HanNetwork, HanDisplays, GasMeterRecovery {
    static final String SOURCE = "han-zigbee";
    static final int PROFILE_SE = 0x0109;
    static final int LOCAL_ENDPOINT = 1;
    static final int CLUSTER_BASIC = 0x0000;
    static final int CLUSTER_TIME = 0x000A;
    static final int CLUSTER_PRICE = 0x0700;
    static final int CLUSTER_METERING = 0x0702;
    static final int CLUSTER_MESSAGING = 0x0703;
    static final int CLUSTER_TUNNELING = 0x0704;
    static final int ATTR_SUMMATION = 0x0000;
    static final int ATTR_SNAPSHOT_TIME = 0x0004;
    static final int ATTR_STATUS = 0x0200;
    static final int ATTR_UNIT = 0x0300;
    static final int ATTR_MULTIPLIER = 0x0301;
    static final int ATTR_DIVISOR = 0x0302;
    static final int ATTR_DEVICE_TYPE = 0x0306;
    static final int ATTR_DEMAND = 0x0400;
    /** Gas meter: today's energy, Wh. */
    static final int ATTR_TODAY_ENERGY_WH = 0x0C00;
    /** Gas meter: today's cost, minor units. */
    static final int ATTR_TODAY_COST = 0x0A00;
    /** Seconds between 1970-01-01 and 2000-01-01, the ZigBee UTC epoch. */
    static final long ZIGBEE_EPOCH = 946_684_800L;
    /** GB-HGRP tunnel protocol id (manufacturer-defined range). */
    static final int TUNNEL_PROTOCOL = 200;
    private static final String KEY_NETWORK = "network";
    private static final String KEY_PRICE = "price";
    /** Messages waiting for a sleepy device, durable: {@code sleepy/<EUI-64 hex>/<20-digit sequence>}. */
    static final String SLEEPY_PREFIX = "sleepy/";
    /** SE metering GetSnapshot (client to server) and PublishSnapshot (server to client). */
    static final int GET_SNAPSHOT = 0x06;
    static final int PUBLISH_SNAPSHOT = 0x06;
    /** How long the hub waits for each PublishSnapshot while the meter is awake. */
    static final long SNAPSHOT_WAIT_SECONDS = 10;

    /** Settings from the component's configuration. */
    record Settings(int channel, Duration sleepyExpiry, int mirrorEndpoint, Duration expiryCheck) {
    }

    /** What the hub knows about an admitted device. */
    static final class Device implements HanDevice {
        final Eui64 id;
        final DeviceType type;
        volatile int nwk;
        volatile Instant lastContact;
        volatile int unit = -1;
        volatile long multiplier = 1;
        volatile long divisor = 1;
        volatile int tunnelId = -1;
        /** The answer (ZCL payload after the header) to the GetSnapshot in flight; null payload: none found. */
        volatile CompletableFuture<int[]> snapshotReply;

        Device(Eui64 id, DeviceType type, int nwk) {
            this.id = id;
            this.type = type;
            this.nwk = nwk;
        }

        @Override
        public Eui64 id() {
            return id;
        }

        @Override
        public DeviceType type() {
            return type;
        }

        @Override
        public boolean isSleepy() {
            return type == DeviceType.GAS_METER;
        }

        @Override
        public Optional<Instant> lastContact() {
            return Optional.ofNullable(lastContact);
        }

        @Override
        public String technology() {
            return TECHNOLOGY_NAME;
        }
    }

    /** A message for a sleepy device; {@code key} names it in the state store. */
    record Pending(String key, byte[] payload, Instant expiresAt, CompletableFuture<Instant> done) {
    }

    /** A gap-recovery request waiting for the gas meter's next wake-up. */
    record Recovery(Instant from, Instant to, Instant expiresAt, CompletableFuture<List<GasPush>> done) {
    }

    static final String TECHNOLOGY_NAME = "zigbee-se";

    private final ZigBeeTransportTransmit dongle;
    private final Settings settings;
    private final DeviceLog deviceLog;
    private final StateStore state;
    private final MeteringStore metering;
    private final Supplier<EventLog> events;
    private final Supplier<GasProxy> gasProxy;
    private final Logger log;
    private final Clock clock;
    private final ExecutorService worker;
    private final ScheduledExecutorService timer;
    private final Map<Eui64, Device> devices = new ConcurrentHashMap<>();
    private final Map<Integer, Device> byNwk = new ConcurrentHashMap<>();
    private final Map<Eui64, Deque<Pending>> sleepyQueue = new ConcurrentHashMap<>();
    private final Map<Eui64, Deque<Recovery>> recoveryQueue = new ConcurrentHashMap<>();
    private final AtomicLong sleepySequence = new AtomicLong();
    private final Map<Long, CompletableFuture<Instant>> confirmations = new ConcurrentHashMap<>();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong refusedJoins = new AtomicLong();
    private volatile HanNetworkState networkState = HanNetworkState.DOWN;
    private volatile String reason = "not started";
    private volatile ZigBeeNetworkManager manager;
    private volatile Gate gate;
    private CompletableFuture<HanNetworkState> forming;

    Coordinator(ZigBeeTransportTransmit dongle, Settings settings, DeviceLog deviceLog, StateStore state,
            MeteringStore metering, Supplier<EventLog> events, Supplier<GasProxy> gasProxy, Logger log, Clock clock) {
        this.dongle = dongle;
        this.settings = settings;
        this.deviceLog = deviceLog;
        this.state = state;
        this.metering = metering;
        this.events = events;
        this.gasProxy = gasProxy;
        this.log = log;
        this.clock = clock;
        this.worker = Executors.newSingleThreadExecutor(r -> daemon(r, "zigbee-coordinator"));
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "zigbee-coordinator-timer"));
        long period = Math.max(10, settings.expiryCheck().toMillis());
        timer.scheduleWithFixedDelay(this::expireSleepy, period, period, TimeUnit.MILLISECONDS);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    // ---- network forming -------------------------------------------------------------------------

    @Override
    public String technology() {
        return TECHNOLOGY_NAME;
    }

    @Override
    public HanNetworkState state() {
        return networkState;
    }

    String reason() {
        return reason;
    }

    @Override
    public synchronized CompletionStage<HanNetworkState> formOrRestore() {
        if (forming == null) {
            forming = CompletableFuture.supplyAsync(this::doFormOrRestore, worker);
        }
        return forming;
    }

    private HanNetworkState doFormOrRestore() {
        networkState = HanNetworkState.FORMING;
        reason = "forming";
        try {
            loadSleepyQueue();
            gate = new Gate();
            ZigBeeNetworkManager m = new ZigBeeNetworkManager(gate);
            m.setSerializer(FrameSerializer.class, DefaultDeserializer.class);
            m.setNetworkDataStore(new StoreDataStore(state));
            manager = m;
            ZigBeeStatus s = m.initialize();
            if (s != ZigBeeStatus.SUCCESS) {
                return fail("the dongle did not initialise: " + s);
            }
            m.setDefaultProfileId(PROFILE_SE);
            m.addSupportedClientCluster(CLUSTER_BASIC);
            m.addSupportedClientCluster(CLUSTER_METERING);
            m.addSupportedClientCluster(CLUSTER_TUNNELING);
            m.addSupportedServerCluster(CLUSTER_TIME);
            m.addSupportedServerCluster(CLUSTER_PRICE);
            m.addSupportedServerCluster(CLUSTER_MESSAGING);
            ZigBeeDiscoveryExtension discovery = new ZigBeeDiscoveryExtension();
            discovery.setUpdateMeshPeriod(0);
            m.addExtension(discovery);

            Optional<byte[]> saved = state.get(StoreDataStore.NAMESPACE, KEY_NETWORK);
            boolean restore = saved.isPresent();
            NetworkParameters p = restore ? NetworkParameters.decode(saved.get()) : NetworkParameters.random(settings.channel());
            m.setZigBeeChannel(ZigBeeChannel.create(p.channel()));
            m.setZigBeePanId(p.panId());
            m.setZigBeeExtendedPanId(new ExtendedPanId(p.extendedPanIdHex()));
            m.setZigBeeNetworkKey(new ZigBeeKey(p.networkKeyHex()));
            TransportConfig tc = new TransportConfig();
            tc.addOption(TransportConfigOption.TRUST_CENTRE_JOIN_MODE, TrustCentreJoinMode.TC_JOIN_SECURE);
            m.getZigBeeTransport().updateTransportConfig(tc);
            java.util.concurrent.CountDownLatch online = new java.util.concurrent.CountDownLatch(1);
            m.addNetworkStateListener(st -> {
                if (st == ZigBeeNetworkState.ONLINE) {
                    online.countDown();
                }
            });
            s = m.startup(!restore);
            if (s != ZigBeeStatus.SUCCESS) {
                return fail("the network did not start: " + s);
            }
            // the library closes joining when it goes online: only after that may joining be opened
            if (!online.await(60, TimeUnit.SECONDS)) {
                return fail("the network did not come online");
            }
            if (!restore) {
                state.put(StoreDataStore.NAMESPACE, KEY_NETWORK, p.encode());
            }
            // devices the network already knows, still in the device log, are admitted again
            for (ZigBeeNode node : m.getNodes()) {
                if (node.getNetworkAddress() == null || node.getNetworkAddress() == 0) {
                    continue;
                }
                Eui64 id = eui(node.getIeeeAddress());
                deviceLog.find(id).ifPresent(e -> admit(e, node.getNetworkAddress()));
            }
            for (DeviceLogEntry e : deviceLog.entries()) {
                installKey(e);
            }
            networkState = HanNetworkState.UP;
            reason = "";
            event(EventKind.EVENT, restore ? "HAN_NETWORK_RESTORED" : "HAN_NETWORK_FORMED", Severity.INFO, null,
                    String.format("channel %d, PAN %04X, extended PAN %s", p.channel(), p.panId(), p.extendedPanIdHex()));
            return HanNetworkState.UP;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted while starting");
        } catch (RuntimeException e) {
            return fail("the network did not start: " + e);
        }
    }

    private HanNetworkState fail(String why) {
        networkState = HanNetworkState.DOWN;
        reason = why;
        log.error("ZigBee coordinator: {}", why);
        event(EventKind.EVENT, "HAN_NETWORK_DOWN", Severity.ERROR, null, why);
        return HanNetworkState.DOWN;
    }

    /** Hands the trust centre the link key derived from the device's install code (AES-MMO hash). */
    private boolean installKey(DeviceLogEntry e) {
        if (e.installCode().isEmpty() || manager == null) {
            return false;
        }
        ZigBeeKey key = linkKey(e.installCode().get());
        key.setAddress(ieee(e.device()));
        return manager.setZigBeeInstallKey(key) == ZigBeeStatus.SUCCESS;
    }

    static ZigBeeKey linkKey(InstallCode code) {
        byte[] octets = code.octets();
        int[] in = new int[octets.length];
        for (int i = 0; i < in.length; i++) {
            in[i] = octets[i] & 0xFF;
        }
        return new ZigBeeKey(new MmoHash(in).getHash());
    }

    void shutdown() {
        ZigBeeNetworkManager m = manager;
        if (m != null) {
            try {
                m.shutdown();
            } catch (RuntimeException e) {
                log.warn("ZigBee coordinator: shutdown: {}", e.toString());
            }
        }
        // the messages stay in the state store and wait for the device after the restart; only this
        // run's callers are told that they will not hear the outcome
        for (Deque<Pending> q : sleepyQueue.values()) {
            synchronized (q) {
                q.forEach(p -> p.done().completeExceptionally(new IllegalStateException(
                        "ZigBee network stopped; the message stays queued for the device across the restart")));
                q.clear();
            }
        }
        for (Deque<Recovery> q : recoveryQueue.values()) {
            synchronized (q) {
                q.forEach(r -> r.done().completeExceptionally(new IllegalStateException("ZigBee network stopped")));
                q.clear();
            }
        }
        networkState = HanNetworkState.DOWN;
        reason = "stopped";
        worker.shutdownNow();
        timer.shutdownNow();
    }

    // ---- joining -----------------------------------------------------------------------------------

    @Override
    public void permitJoining(Eui64 device, Duration duration) throws UnknownDeviceException {
        DeviceLogEntry e = deviceLog.find(device).orElseThrow(
                () -> new UnknownDeviceException(device, "not in the device log"));
        ZigBeeNetworkManager m = manager;
        if (m == null || networkState != HanNetworkState.UP) {
            throw new IllegalStateException("ZigBee network is " + networkState);
        }
        if (!installKey(e) && e.installCode().isPresent()) {
            throw new IllegalStateException("the trust centre refused the install key of " + device);
        }
        int seconds = (int) Math.min(254, Math.max(1, duration.toSeconds()));
        m.permitJoin(seconds);
        event(EventKind.EVENT, "JOIN_PERMITTED", Severity.INFO, device, seconds + " s");
    }

    private Device admit(DeviceLogEntry e, int nwk) {
        Device d = devices.compute(e.device(), (k, old) -> {
            Device n = old != null ? old : new Device(e.device(), e.type(), nwk);
            if (old != null && old.nwk != nwk) {
                byNwk.remove(old.nwk, old);
            }
            n.nwk = nwk;
            return n;
        });
        byNwk.put(nwk, d);
        return d;
    }

    @Override
    public List<HanDevice> devices() {
        return List.copyOf(devices.values());
    }

    @Override
    public Optional<HanDevice> device(Eui64 id) {
        return Optional.ofNullable(devices.get(id));
    }

    /** Whether the library has discovered the device's endpoints (so it can talk ZCL to it). */
    boolean discovered(Eui64 id) {
        ZigBeeNetworkManager m = manager;
        ZigBeeNode n = m == null ? null : m.getNode(ieee(id));
        return n != null && !n.getEndpoints().isEmpty() && devices.containsKey(id);
    }

    long malformedFrames() {
        return malformed.get();
    }

    long refusedJoins() {
        return refusedJoins.get();
    }

    // ---- sending (tunneling), sleepy queue ------------------------------------------------------------

    @Override
    public CompletionStage<Instant> send(Eui64 device, byte[] payload, Duration expiry) {
        CompletableFuture<Instant> done = new CompletableFuture<>();
        Optional<DeviceLogEntry> entry = deviceLog.find(device);
        if (entry.isEmpty()) {
            done.completeExceptionally(new UnknownDeviceException(device, "not in the device log"));
            return done;
        }
        Device d = devices.get(device);
        if (d == null) {
            done.completeExceptionally(new UnknownDeviceException(device, "not on the ZigBee network"));
            return done;
        }
        Duration e = expiry == null || expiry.isZero() || expiry.isNegative() ? settings.sleepyExpiry() : expiry;
        if (d.isSleepy()) {
            String key = String.format("%s%s/%020d", SLEEPY_PREFIX, device.toHex(),
                    clock.millis() * 1000 + sleepySequence.getAndIncrement() % 1000);
            Pending p = new Pending(key, payload.clone(), clock.instant().plus(e), done);
            try {
                state.put(StoreDataStore.NAMESPACE, key, encodePending(p));
            } catch (RuntimeException ex) {
                done.completeExceptionally(ex);
                return done;
            }
            Deque<Pending> q = sleepyQueue.computeIfAbsent(device, k -> new ArrayDeque<>());
            synchronized (q) {
                q.addLast(p);
            }
            event(EventKind.EVENT, "SLEEPY_MESSAGE_QUEUED", Severity.DEBUG, device,
                    payload.length + " octets, expires " + p.expiresAt());
        } else {
            Pending p = new Pending(null, payload.clone(), clock.instant().plus(e), done);
            worker.execute(() -> deliver(d, p));
        }
        return done;
    }

    static byte[] encodePending(Pending p) {
        return ByteBuffer.allocate(13 + p.payload().length).put((byte) 1).putLong(p.expiresAt().toEpochMilli())
                .putInt(p.payload().length).put(p.payload()).array();
    }

    /** Reads back the messages queued for sleepy devices before a restart; unreadable entries are dropped. */
    private void loadSleepyQueue() {
        Map<String, byte[]> stored = new java.util.TreeMap<>(state.entries(StoreDataStore.NAMESPACE));
        int loaded = 0;
        for (Map.Entry<String, byte[]> en : stored.entrySet()) {
            String key = en.getKey();
            if (!key.startsWith(SLEEPY_PREFIX)) {
                continue;
            }
            String[] parts = key.substring(SLEEPY_PREFIX.length()).split("/");
            try {
                Eui64 device = Eui64.parse(parts[0]);
                ByteBuffer b = ByteBuffer.wrap(en.getValue());
                if (parts.length != 2 || b.get() != 1) {
                    throw new IllegalArgumentException("unknown format");
                }
                Instant expiresAt = Instant.ofEpochMilli(b.getLong());
                byte[] payload = new byte[b.getInt()];
                b.get(payload);
                CompletableFuture<Instant> done = new CompletableFuture<>();
                Pending p = new Pending(key, payload, expiresAt, done);
                Deque<Pending> q = sleepyQueue.computeIfAbsent(device, k -> new ArrayDeque<>());
                synchronized (q) {
                    if (q.stream().noneMatch(x -> key.equals(x.key()))) {
                        q.addLast(p);
                        loaded++;
                    }
                }
                done.whenComplete((at, failure) -> {
                    if (failure == null) {
                        event(EventKind.EVENT, "SLEEPY_MESSAGE_DELIVERED", Severity.INFO, device,
                                payload.length + " octets queued before a restart, delivered at " + at);
                    }
                });
            } catch (RuntimeException ex) {
                state.remove(StoreDataStore.NAMESPACE, key);
                event(EventKind.EVENT, "SLEEPY_MESSAGE_UNREADABLE", Severity.WARNING, null,
                        "stored message " + key + " dropped: " + ex);
            }
        }
        if (loaded > 0) {
            event(EventKind.EVENT, "SLEEPY_QUEUE_RESTORED", Severity.INFO, null,
                    loaded + " messages for sleepy devices restored from the state store");
        }
    }

    private void forget(Pending p) {
        if (p.key() != null) {
            try {
                state.remove(StoreDataStore.NAMESPACE, p.key());
            } catch (RuntimeException e) {
                log.warn("ZigBee coordinator: could not remove {} from the state store: {}", p.key(), e.toString());
            }
        }
    }

    @Override
    public int queuedForSleepy() {
        int n = 0;
        for (Deque<Pending> q : sleepyQueue.values()) {
            synchronized (q) {
                n += q.size();
            }
        }
        return n;
    }

    /** A sleepy device was heard: it is awake now, so what waits for it goes out. */
    private void flush(Device d) {
        Deque<Pending> q = sleepyQueue.get(d.id);
        List<Pending> out = new ArrayList<>();
        if (q != null) {
            synchronized (q) {
                out.addAll(q);
                q.clear();
            }
        }
        if (!out.isEmpty()) {
            worker.execute(() -> out.forEach(p -> deliver(d, p)));
        }
        Deque<Recovery> rq = recoveryQueue.get(d.id);
        if (rq != null) {
            List<Recovery> rs = new ArrayList<>();
            synchronized (rq) {
                rs.addAll(rq);
                rq.clear();
            }
            if (!rs.isEmpty()) {
                worker.execute(() -> rs.forEach(r -> recover(d, r)));
            }
        }
    }

    private void expireSleepy() {
        Instant now = clock.instant();
        for (Map.Entry<Eui64, Deque<Pending>> e : sleepyQueue.entrySet()) {
            List<Pending> expired = new ArrayList<>();
            Deque<Pending> q = e.getValue();
            synchronized (q) {
                q.removeIf(p -> {
                    if (!now.isBefore(p.expiresAt())) {
                        expired.add(p);
                        return true;
                    }
                    return false;
                });
            }
            for (Pending p : expired) {
                forget(p);
                event(EventKind.EVENT, "SLEEPY_MESSAGE_EXPIRED", Severity.WARNING, e.getKey(),
                        p.payload().length + " octets expired at " + p.expiresAt() + " before the device polled");
                p.done().completeExceptionally(new MessageExpiredException(e.getKey(), p.expiresAt()));
            }
        }
        for (Map.Entry<Eui64, Deque<Recovery>> e : recoveryQueue.entrySet()) {
            List<Recovery> expired = new ArrayList<>();
            Deque<Recovery> q = e.getValue();
            synchronized (q) {
                q.removeIf(r -> {
                    if (!now.isBefore(r.expiresAt())) {
                        expired.add(r);
                        return true;
                    }
                    return false;
                });
            }
            for (Recovery r : expired) {
                event(EventKind.EVENT, "GAS_RECOVERY_EXPIRED", Severity.WARNING, e.getKey(),
                        "request for " + r.from() + " .. " + r.to() + " expired before the meter polled");
                r.done().completeExceptionally(new MessageExpiredException(e.getKey(), r.expiresAt()));
            }
        }
    }

    /** Carries the payload unchanged through the tunneling cluster; runs on the worker. */
    private void deliver(Device d, Pending p) {
        if (!clock.instant().isBefore(p.expiresAt())) {
            forget(p);
            event(EventKind.EVENT, "SLEEPY_MESSAGE_EXPIRED", Severity.WARNING, d.id,
                    p.payload().length + " octets expired at " + p.expiresAt() + " before the device polled");
            p.done().completeExceptionally(new MessageExpiredException(d.id, p.expiresAt()));
            return;
        }
        try {
            ZigBeeEndpointAddress to = new ZigBeeEndpointAddress(d.nwk, LOCAL_ENDPOINT);
            if (d.tunnelId < 0) {
                RequestTunnel rt = new RequestTunnel(TUNNEL_PROTOCOL, 0xFFFF, false, 1500);
                rt.setClusterId(CLUSTER_TUNNELING);
                rt.setDestinationAddress(to);
                CommandResult r = await(manager.sendTransaction(rt, new ZclTransactionMatcher()));
                if (r == null || !(r.getResponse() instanceof RequestTunnelResponse rsp) || rsp.getTunnelStatus() != 0) {
                    throw new IllegalStateException("the device did not open a tunnel");
                }
                d.tunnelId = rsp.getTunnelId();
            }
            byte[] frame = new ZclFrame.Writer().u16(d.tunnelId).bytes(p.payload()).toBytes();
            RawZclCommand transfer = new RawZclCommand(CLUSTER_TUNNELING, 0x02, false,
                    ZclCommandDirection.CLIENT_TO_SERVER, frame, to);
            CommandResult r = await(manager.sendTransaction(transfer, new ZclTransactionMatcher()));
            if (r != null && r.getResponse() instanceof DefaultResponse dr && dr.getStatusCode() != null
                    && dr.getStatusCode().getId() == 0) {
                forget(p);
                p.done().complete(clock.instant());
                return;
            }
            d.tunnelId = -1; // TransferDataError or no answer: open a new tunnel next time
            throw new IllegalStateException("the device did not acknowledge the tunnelled payload");
        } catch (RuntimeException e) {
            forget(p);
            event(EventKind.EVENT, "HAN_SEND_FAILED", Severity.WARNING, d.id, e.getMessage());
            p.done().completeExceptionally(e);
        }
    }

    // ---- gas gap recovery (GasMeterRecovery) ---------------------------------------------------------

    /**
     * Queues a request for the meter's captures in {@code [from, to)} until the gas meter is heard (it
     * is never woken for it); then asks it with SE metering GetSnapshot, one PublishSnapshot per
     * capture, newest first. The same range asked again while it waits shares the one request.
     */
    @Override
    public CompletionStage<List<GasPush>> missed(Eui64 meter, Instant from, Instant to) {
        Optional<DeviceLogEntry> entry = deviceLog.find(meter);
        if (entry.isEmpty() || entry.get().type() != DeviceType.GAS_METER) {
            return CompletableFuture.failedFuture(new UnknownDeviceException(meter, "not a gas meter in the device log"));
        }
        if (!devices.containsKey(meter)) {
            return CompletableFuture.failedFuture(new UnknownDeviceException(meter, "not on the ZigBee network"));
        }
        if (!from.isBefore(to)) {
            return CompletableFuture.completedFuture(List.of());
        }
        Deque<Recovery> q = recoveryQueue.computeIfAbsent(meter, k -> new ArrayDeque<>());
        Recovery r;
        synchronized (q) {
            for (Recovery waiting : q) {
                if (waiting.from().equals(from) && waiting.to().equals(to)) {
                    return waiting.done();
                }
            }
            r = new Recovery(from, to, clock.instant().plus(settings.sleepyExpiry()), new CompletableFuture<>());
            q.addLast(r);
        }
        event(EventKind.EVENT, "GAS_RECOVERY_QUEUED", Severity.INFO, meter,
                "captures " + from + " .. " + to + " asked for at the meter's next wake-up");
        return r.done();
    }

    /** Asks the awake meter for its captures of one range; runs on the worker. */
    private void recover(Device d, Recovery r) {
        List<GasPush> found = new ArrayList<>();
        String failure = null;
        int total = 1;
        for (int offset = 0; offset < total && offset < 255; offset++) {
            CompletableFuture<int[]> reply = new CompletableFuture<>();
            d.snapshotReply = reply;
            byte[] request = new ZclFrame.Writer().u32(r.from().getEpochSecond() - ZIGBEE_EPOCH)
                    .u32(r.to().getEpochSecond() - 1 - ZIGBEE_EPOCH).u8(offset).u32(0xFFFFFFFFL).toBytes();
            manager.sendTransaction(new RawZclCommand(CLUSTER_METERING, GET_SNAPSHOT, false,
                    ZclCommandDirection.CLIENT_TO_SERVER, request, new ZigBeeEndpointAddress(d.nwk, LOCAL_ENDPOINT)));
            int[] p;
            try {
                p = reply.get(SNAPSHOT_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = "interrupted";
                break;
            } catch (Exception e) {
                failure = "no PublishSnapshot within " + SNAPSHOT_WAIT_SECONDS + " s (the meter went back to sleep?)";
                break;
            } finally {
                d.snapshotReply = null;
            }
            if (p == null) {
                break; // NOT_FOUND: nothing (more) in the range
            }
            try {
                Snapshot s = Snapshot.decode(p);
                total = s.totalFound();
                Instant at = Instant.ofEpochSecond(ZIGBEE_EPOCH + s.time());
                if (at.isBefore(r.from()) || !at.isBefore(r.to())) {
                    continue; // not asked for
                }
                long litres = litres(d, s.summation());
                found.add(new GasPush(d.id, at, litres, -3, 0, Math.min(GasPush.MAX_DAY_COST_MINOR, s.billToDate())));
            } catch (MalformedZclFrameException | RuntimeException e) {
                malformed.incrementAndGet();
                event(EventKind.EVENT, "ZCL_FRAME_MALFORMED", Severity.WARNING, d.id, "PublishSnapshot: " + e.getMessage());
                failure = "malformed PublishSnapshot";
                break;
            }
        }
        if (found.isEmpty() && failure != null) {
            event(EventKind.EVENT, "GAS_RECOVERY_FAILED", Severity.WARNING, d.id, failure);
            r.done().completeExceptionally(new IllegalStateException(failure));
            return;
        }
        found.sort(java.util.Comparator.comparing(GasPush::capturedAt));
        event(EventKind.EVENT, "GAS_RECOVERY_ANSWERED", Severity.INFO, d.id, found.size() + " captures in "
                + r.from() + " .. " + r.to() + (failure == null ? "" : " (incomplete: " + failure + ")"));
        r.done().complete(List.copyOf(found));
    }

    /** A volume register in the meter's formatting as litres (m³ × 10^-3). */
    private static long litres(Device d, long raw) {
        return BigDecimal.valueOf(raw).multiply(BigDecimal.valueOf(d.multiplier))
                .divide(BigDecimal.valueOf(d.divisor), MathContext.DECIMAL64).movePointRight(3)
                .setScale(0, RoundingMode.DOWN).longValueExact();
    }

    /** The fields of a PublishSnapshot the hub uses (payload type 0: delivered registers). */
    record Snapshot(long time, int totalFound, long summation, long billToDate) {
        static Snapshot decode(int[] p) throws MalformedZclFrameException {
            ZclFrame.Reader r = new ZclFrame.Reader(p, 0);
            r.uint(4); // snapshot id
            long time = r.uint(4);
            int total = (int) r.uint(1);
            r.uint(1); // command index
            r.uint(1); // total commands
            r.uint(4); // cause
            int type = (int) r.uint(1);
            if (type != 0) {
                throw new MalformedZclFrameException("snapshot payload type " + type + " is not 0 (delivered registers)");
            }
            long summation = r.uint(6);
            long bill = r.uint(4);
            if (total < 1) {
                throw new MalformedZclFrameException("PublishSnapshot with 0 snapshots found");
            }
            return new Snapshot(time, total, summation, bill);
        }
    }

    private static CommandResult await(Future<CommandResult> f) {
        if (f == null) {
            return null;
        }
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Exception e) {
            return null;
        }
    }

    // ---- displays: price and messages ------------------------------------------------------------------

    private List<Device> displays() {
        return devices.values().stream().filter(d -> d.type == DeviceType.IN_HOME_DISPLAY
                || d.type == DeviceType.PREPAYMENT_DISPLAY || d.type == DeviceType.CONSUMER_BRIDGE).toList();
    }

    @Override
    public CompletionStage<Integer> publishPrice(DisplayPrice price) {
        if (manager == null || networkState != HanNetworkState.UP) {
            return CompletableFuture.failedFuture(new IllegalStateException("ZigBee network is " + networkState));
        }
        state.put(StoreDataStore.NAMESPACE, KEY_PRICE, encodePrice(price));
        int n = 0;
        for (Device d : displays()) {
            sendPrice(d, price, -1);
            n++;
        }
        event(EventKind.EVENT, "PRICE_PUBLISHED", Severity.INFO, null, "to " + n + " displays: " + price.price());
        return CompletableFuture.completedFuture(n);
    }

    Optional<DisplayPrice> currentPrice() {
        return state.get(StoreDataStore.NAMESPACE, KEY_PRICE).map(Coordinator::decodePrice);
    }

    private void sendPrice(Device d, DisplayPrice p, int sequence) {
        long now = clock.instant().getEpochSecond() - ZIGBEE_EPOCH;
        // unit of measure 0: kWh; price tier 1 of 1
        ZclFrame.Writer w = new ZclFrame.Writer().u32(p.providerId()).string(p.rateLabel()).u32(p.issuerEventId())
                .u32(now).u8(0).u16(p.currency()).u8(p.trailingDigits() << 4 | 1).u8(0x11)
                .u32(p.start().getEpochSecond() - ZIGBEE_EPOCH).u16((int) p.duration().toMinutes()).u32(p.price())
                .u8(0xFF).u32(0xFFFFFFFFL).u8(0xFF).u32(0xFFFFFFFFL).u8(0xFF).u8(0xFF).u8(0).u8(0);
        RawZclCommand cmd = new RawZclCommand(CLUSTER_PRICE, 0x00, false, ZclCommandDirection.SERVER_TO_CLIENT,
                w.toBytes(), new ZigBeeEndpointAddress(d.nwk, LOCAL_ENDPOINT));
        if (sequence >= 0) {
            cmd.setTransactionId(sequence);
        }
        manager.sendTransaction(cmd);
    }

    private static byte[] encodePrice(DisplayPrice p) {
        byte[] label = p.rateLabel().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(64 + label.length);
        b.putInt(1).putLong(p.providerId()).putLong(p.issuerEventId()).putInt(p.currency())
                .putInt(p.trailingDigits()).putLong(p.price()).putLong(p.start().getEpochSecond())
                .putLong(p.duration().toMinutes()).putInt(label.length).put(label);
        return java.util.Arrays.copyOf(b.array(), b.position());
    }

    private static DisplayPrice decodePrice(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (b.getInt() != 1) {
            throw new IllegalStateException("stored price is not readable");
        }
        long provider = b.getLong();
        long issuer = b.getLong();
        int currency = b.getInt();
        int trailing = b.getInt();
        long price = b.getLong();
        Instant start = Instant.ofEpochSecond(b.getLong());
        Duration duration = Duration.ofMinutes(b.getLong());
        byte[] label = new byte[b.getInt()];
        b.get(label);
        return new DisplayPrice(provider, new String(label, java.nio.charset.StandardCharsets.UTF_8), issuer, currency,
                trailing, price, start, duration);
    }

    /** Completes with the number of displays that confirmed within 30 seconds. */
    @Override
    public CompletionStage<Integer> displayMessage(long messageId, String text, Duration duration) {
        if (manager == null || networkState != HanNetworkState.UP) {
            return CompletableFuture.failedFuture(new IllegalStateException("ZigBee network is " + networkState));
        }
        if (messageId < 0 || messageId > 0xFFFFFFFFL) {
            throw new IllegalArgumentException("message id is unsigned 32 bits: " + messageId);
        }
        List<CompletableFuture<Instant>> confirmed = new ArrayList<>();
        long start = clock.instant().getEpochSecond() - ZIGBEE_EPOCH;
        int minutes = (int) Math.min(0xFFFF, Math.max(1, duration.toMinutes()));
        for (Device d : displays()) {
            byte[] payload = new ZclFrame.Writer().u32(messageId).u8(0x80).u32(start).u16(minutes).string(text)
                    .u8(0).toBytes();
            CompletableFuture<Instant> c = new CompletableFuture<>();
            confirmations.put(messageId << 16 ^ d.nwk, c);
            confirmed.add(c.completeOnTimeout(null, 30, TimeUnit.SECONDS));
            manager.sendTransaction(new RawZclCommand(CLUSTER_MESSAGING, 0x00, false,
                    ZclCommandDirection.SERVER_TO_CLIENT, payload, new ZigBeeEndpointAddress(d.nwk, LOCAL_ENDPOINT)));
        }
        return CompletableFuture.allOf(confirmed.toArray(CompletableFuture[]::new))
                .thenApply(v -> (int) confirmed.stream().filter(f -> f.join() != null).count());
    }

    // ---- metering model -------------------------------------------------------------------------------

    private void meteringAttributes(Device d, List<ZclFrame.Attribute> attrs) {
        for (ZclFrame.Attribute a : attrs) {
            if (a.status() != 0) {
                continue;
            }
            switch (a.id()) {
                case ATTR_UNIT -> d.unit = (int) a.value();
                case ATTR_MULTIPLIER -> d.multiplier = Math.max(1, a.value());
                case ATTR_DIVISOR -> d.divisor = Math.max(1, a.value());
                default -> {
                }
            }
        }
        Instant now = clock.instant();
        List<Reading> readings = new ArrayList<>();
        Long volumeLitres = null;
        long todayWh = -1;
        long todayCost = -1;
        Instant capturedAt = now;
        for (ZclFrame.Attribute a : attrs) {
            if (a.status() != 0) {
                continue;
            }
            if (a.id() == ATTR_TODAY_ENERGY_WH) {
                todayWh = a.value();
            } else if (a.id() == ATTR_TODAY_COST) {
                todayCost = a.value();
            } else if (a.id() == ATTR_SNAPSHOT_TIME && a.type() == ZclFrame.TYPE_UTC && d.type == DeviceType.GAS_METER) {
                capturedAt = Instant.ofEpochSecond(ZIGBEE_EPOCH + a.value()); // the meter's own capture time
            }
            Optional<ObisCode> obis = Measurands.fromZigBee(d.type, CLUSTER_METERING, a.id());
            if (obis.isEmpty() || d.unit < 0) {
                continue;
            }
            boolean demand = a.id() == ATTR_DEMAND;
            Optional<Unit> unit = Unit.fromZigBee(d.unit, demand);
            if (unit.isEmpty()) {
                continue;
            }
            BigDecimal v = BigDecimal.valueOf(a.value()).multiply(BigDecimal.valueOf(d.multiplier))
                    .divide(BigDecimal.valueOf(d.divisor), MathContext.DECIMAL64)
                    .scaleByPowerOfTen(unit.get().zigBeeScaler()).stripTrailingZeros();
            if (v.scale() > 18) {
                v = v.setScale(18, RoundingMode.HALF_EVEN).stripTrailingZeros();
            }
            if (v.scale() < -18) {
                continue;
            }
            readings.add(new Reading(d.id, obis.get(), now, v.unscaledValue().longValueExact(), -v.scale(), unit.get()));
            if (d.type == DeviceType.GAS_METER && a.id() == ATTR_SUMMATION && unit.get() == Unit.CUBIC_METRE) {
                volumeLitres = v.movePointRight(3).setScale(0, RoundingMode.DOWN).longValueExact();
            }
        }
        if (!readings.isEmpty()) {
            metering.record(readings);
        }
        if (volumeLitres != null && todayWh >= 0 && todayCost >= 0) {
            GasProxy gp = gasProxy.get();
            if (gp == null) {
                event(EventKind.EVENT, "GAS_PUSH_DROPPED", Severity.WARNING, d.id, "no gas proxy available");
                return;
            }
            try {
                gp.accept(new GasPush(d.id, capturedAt, volumeLitres, -3, todayWh, todayCost));
            } catch (UnknownDeviceException | IllegalArgumentException e) {
                event(EventKind.EVENT, "GAS_PUSH_REFUSED", Severity.WARNING, d.id, e.getMessage());
            }
        }
    }

    /** Asks a device that just spoke (so is awake) for its metering formatting. */
    private void readFormatting(Device d) {
        ZclFrame.Writer ids = new ZclFrame.Writer().u16(ATTR_UNIT).u16(ATTR_MULTIPLIER).u16(ATTR_DIVISOR);
        manager.sendTransaction(new RawZclCommand(CLUSTER_METERING, ZclFrame.READ_ATTRIBUTES, true,
                ZclCommandDirection.CLIENT_TO_SERVER, ids.toBytes(), new ZigBeeEndpointAddress(d.nwk, LOCAL_ENDPOINT)));
    }

    // ---- the hub's own server clusters -----------------------------------------------------------------

    private void serve(Device d, ZigBeeApsFrame aps, ZclFrame.Header h) throws MalformedZclFrameException {
        int[] p = aps.getPayload();
        int cluster = aps.getCluster();
        ZigBeeEndpointAddress back = new ZigBeeEndpointAddress(d.nwk, aps.getSourceEndpoint());
        if (!h.clusterSpecific() && h.command() == ZclFrame.READ_ATTRIBUTES) {
            int[] ids = ZclFrame.attributeIds(p, h.length());
            ZclFrame.Writer w = new ZclFrame.Writer();
            if (cluster == CLUSTER_TIME && aps.getDestinationEndpoint() == LOCAL_ENDPOINT) {
                for (int id : ids) {
                    w.u16(id);
                    if (id == 0x0000) {
                        w.u8(0).u8(ZclFrame.TYPE_UTC).u32(clock.instant().getEpochSecond() - ZIGBEE_EPOCH);
                    } else if (id == 0x0001) {
                        w.u8(0).u8(ZclFrame.TYPE_BITMAP8).u8(0x09); // master, superseding
                    } else {
                        w.u8(ZclFrame.STATUS_UNSUPPORTED_ATTRIBUTE);
                    }
                }
            } else if (cluster == CLUSTER_METERING && aps.getDestinationEndpoint() >= settings.mirrorEndpoint()) {
                mirror(aps.getDestinationEndpoint() - settings.mirrorEndpoint(), ids, w);
            } else {
                for (int id : ids) {
                    w.u16(id).u8(ZclFrame.STATUS_UNSUPPORTED_ATTRIBUTE);
                }
            }
            respond(back, cluster, aps.getDestinationEndpoint(), true, ZclFrame.READ_ATTRIBUTES_RESPONSE, h.sequence(),
                    w.toBytes());
            return;
        }
        if (cluster == CLUSTER_PRICE && h.clusterSpecific() && h.command() == 0x00) { // GetCurrentPrice
            if (p.length - h.length() < 1) {
                throw new MalformedZclFrameException("GetCurrentPrice without its command options octet");
            }
            Optional<DisplayPrice> price = currentPrice();
            if (price.isPresent()) {
                sendPrice(d, price.get(), h.sequence());
            } else {
                defaultResponse(back, cluster, h, ZclFrame.STATUS_NOT_FOUND);
            }
            return;
        }
        if (cluster == CLUSTER_MESSAGING && h.clusterSpecific() && h.command() == 0x01) { // MessageConfirmation
            if (p.length - h.length() < 8) {
                throw new MalformedZclFrameException("MessageConfirmation shorter than 8 octets");
            }
            int o = h.length();
            long id = (p[o] & 0xFFL) | (p[o + 1] & 0xFFL) << 8 | (p[o + 2] & 0xFFL) << 16 | (p[o + 3] & 0xFFL) << 24;
            CompletableFuture<Instant> c = confirmations.remove(id << 16 ^ d.nwk);
            if (c != null) {
                c.complete(clock.instant());
            }
            event(EventKind.EVENT, "MESSAGE_CONFIRMED", Severity.INFO, d.id, "message " + id);
            return;
        }
        defaultResponse(back, cluster, h, h.clusterSpecific() ? 0x81 : 0x82);
    }

    /** The gas mirror as an SE metering server: answers from the gas proxy, never from the meter. */
    private void mirror(int index, int[] ids, ZclFrame.Writer w) {
        List<DeviceLogEntry> gas = deviceLog.entries().stream().filter(e -> e.type() == DeviceType.GAS_METER).toList();
        GasProxy gp = gasProxy.get();
        Optional<MirrorRead> read = index < gas.size() && gp != null ? gp.read(gas.get(index).device()) : Optional.empty();
        for (int id : ids) {
            w.u16(id);
            if (read.isEmpty()) {
                w.u8(ZclFrame.STATUS_UNSUPPORTED_ATTRIBUTE);
                continue;
            }
            MirrorRead r = read.get();
            switch (id) {
                case ATTR_SUMMATION -> w.u8(0).u8(ZclFrame.TYPE_UINT48).uint(
                        r.volumeM3().movePointRight(3).setScale(0, RoundingMode.DOWN).longValueExact(), 6);
                case ATTR_SNAPSHOT_TIME -> w.u8(0).u8(ZclFrame.TYPE_UTC).u32(r.capturedAt().getEpochSecond() - ZIGBEE_EPOCH);
                case ATTR_STATUS -> w.u8(0).u8(ZclFrame.TYPE_BITMAP8).u8(r.stale() ? 0x01 : 0x00);
                case ATTR_UNIT -> w.u8(0).u8(ZclFrame.TYPE_ENUM8).u8(1);
                case ATTR_MULTIPLIER -> w.u8(0).u8(ZclFrame.TYPE_UINT24).uint(1, 3);
                case ATTR_DIVISOR -> w.u8(0).u8(ZclFrame.TYPE_UINT24).uint(1000, 3);
                case ATTR_DEVICE_TYPE -> w.u8(0).u8(ZclFrame.TYPE_BITMAP8).u8(129); // mirrored gas metering
                case ATTR_TODAY_ENERGY_WH -> w.u8(0).u8(ZclFrame.TYPE_UINT24).uint(Math.min(0xFFFFFF, r.todayEnergyWh()), 3);
                case ATTR_TODAY_COST -> w.u8(0).u8(ZclFrame.TYPE_UINT32).u32(r.todayCostMinor());
                default -> w.u8(ZclFrame.STATUS_UNSUPPORTED_ATTRIBUTE);
            }
        }
    }

    private void defaultResponse(ZigBeeEndpointAddress to, int cluster, ZclFrame.Header h, int status) {
        if (h.disableDefaultResponse()) {
            return;
        }
        respond(to, cluster, LOCAL_ENDPOINT, true, ZclFrame.DEFAULT_RESPONSE, h.sequence(),
                new ZclFrame.Writer().u8(h.command()).u8(status).toBytes());
    }

    private void respond(ZigBeeEndpointAddress to, int cluster, int fromEndpoint, boolean generic, int command,
            int sequence, byte[] payload) {
        RawZclCommand cmd = new RawZclCommand(cluster, command, generic, ZclCommandDirection.SERVER_TO_CLIENT, payload, to);
        cmd.setTransactionId(sequence);
        cmd.setDisableDefaultResponse(true);
        gate.sourceEndpoint(fromEndpoint, cmd);
        manager.sendTransaction(cmd);
    }

    // ---- helpers ---------------------------------------------------------------------------------------

    static Eui64 eui(IeeeAddress a) {
        return Eui64.parse(a.toString());
    }

    static IeeeAddress ieee(Eui64 e) {
        return new IeeeAddress(e.toHex());
    }

    void event(EventKind kind, String code, Severity severity, Eui64 device, String detail) {
        EventLog e = events.get();
        if (e != null) {
            try {
                e.log(HubEvent.of(kind, code, severity, device, SOURCE, detail));
            } catch (RuntimeException ex) {
                log.warn("ZigBee coordinator: could not log event {}: {}", code, ex.toString());
            }
        }
    }

    /** Network parameters as the hub keeps them to restore its network. */
    record NetworkParameters(int channel, int panId, String extendedPanIdHex, String networkKeyHex) {
        static NetworkParameters random(int channel) {
            SecureRandom r = new SecureRandom();
            byte[] epan = new byte[8];
            byte[] key = new byte[16];
            r.nextBytes(epan);
            r.nextBytes(key);
            return new NetworkParameters(channel, 1 + r.nextInt(0xFFF0), HexFormat.of().withUpperCase().formatHex(epan),
                    HexFormat.of().withUpperCase().formatHex(key));
        }

        byte[] encode() {
            return ("1;" + channel + ";" + panId + ";" + extendedPanIdHex + ";" + networkKeyHex)
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        }

        static NetworkParameters decode(byte[] b) {
            String[] f = new String(b, java.nio.charset.StandardCharsets.US_ASCII).split(";");
            if (f.length != 5 || !f[0].equals("1")) {
                throw new IllegalStateException("stored ZigBee network parameters are not readable");
            }
            return new NetworkParameters(Integer.parseInt(f[1]), Integer.parseInt(f[2]), f[3], f[4]);
        }
    }

    /**
     * Sits between the transport and the library: the trust-centre policy, the frame filter, the
     * strict ZCL check and the hub's own servers.
     */
    final class Gate implements ZigBeeTransportTransmit, ZigBeeTransportReceive {
        private volatile ZigBeeTransportReceive library;
        private final Map<Integer, Long> lastDropEvent = new ConcurrentHashMap<>();

        /** Answers of the mirror endpoint: (destination, ZCL sequence) → source endpoint. */
        private final Map<Long, Integer> mirrorSources = new ConcurrentHashMap<>();

        void sourceEndpoint(int endpoint, RawZclCommand cmd) {
            if (endpoint != LOCAL_ENDPOINT && cmd.getDestinationAddress() != null) {
                mirrorSources.put((long) cmd.getDestinationAddress().getAddress() << 8 | cmd.getTransactionId(), endpoint);
            }
        }

        // receive side --------------------------------------------------------------------------------

        @Override
        public void receiveCommand(ZigBeeApsFrame aps) {
            try {
                receive(aps);
            } catch (MalformedZclFrameException e) {
                malformed.incrementAndGet();
                Device d = byNwk.get(aps.getSourceAddress());
                event(EventKind.EVENT, "ZCL_FRAME_MALFORMED", Severity.WARNING, d == null ? null : d.id,
                        String.format("cluster %04X from %04X: %s", aps.getCluster(), aps.getSourceAddress(), e.getMessage()));
            } catch (RuntimeException e) {
                malformed.incrementAndGet();
                event(EventKind.EVENT, "HAN_FRAME_FAILED", Severity.WARNING, null,
                        String.format("cluster %04X from %04X: %s", aps.getCluster(), aps.getSourceAddress(), e));
            }
        }

        private void receive(ZigBeeApsFrame aps) throws MalformedZclFrameException {
            if (aps.getSourceAddress() == 0 && aps.getProfile() == 0) {
                library.receiveCommand(aps); // the coordinator's own radio answering ZDO requests
                return;
            }
            Device d = byNwk.get(aps.getSourceAddress());
            if (d == null) {
                // one event per source and minute: a chatty stranger must not flood the event log
                long now = System.nanoTime();
                Long last = lastDropEvent.get(aps.getSourceAddress());
                if (last == null || now - last > TimeUnit.MINUTES.toNanos(1)) {
                    lastDropEvent.put(aps.getSourceAddress(), now);
                    event(EventKind.AUDIT, "HAN_FRAME_DROPPED", Severity.WARNING, null,
                            String.format("frames from %04X, which is not an admitted device", aps.getSourceAddress()));
                }
                return;
            }
            d.lastContact = clock.instant();
            if (aps.getProfile() == 0) {
                library.receiveCommand(aps);
                return;
            }
            ZclFrame.Header h = ZclFrame.header(aps.getPayload());
            boolean toHubServer = !h.serverToClient() && (aps.getCluster() == CLUSTER_TIME
                    || aps.getCluster() == CLUSTER_PRICE || aps.getCluster() == CLUSTER_MESSAGING
                    || aps.getDestinationEndpoint() >= settings.mirrorEndpoint());
            if (toHubServer) {
                serve(d, aps, h);
            } else if (aps.getCluster() == CLUSTER_METERING && h.clusterSpecific() && h.serverToClient()
                    && h.command() == PUBLISH_SNAPSHOT) {
                CompletableFuture<int[]> reply = d.snapshotReply;
                if (reply != null) {
                    reply.complete(java.util.Arrays.copyOfRange(aps.getPayload(), h.length(), aps.getPayload().length));
                }
            } else {
                if (aps.getCluster() == CLUSTER_METERING && !h.clusterSpecific() && h.command() == ZclFrame.DEFAULT_RESPONSE
                        && aps.getPayload().length >= h.length() + 2 && aps.getPayload()[h.length()] == GET_SNAPSHOT) {
                    CompletableFuture<int[]> reply = d.snapshotReply;
                    if (reply != null) {
                        reply.complete(null); // NOT_FOUND or another refusal: nothing (more) to recover
                    }
                }
                if (aps.getCluster() == CLUSTER_METERING && !h.clusterSpecific()) {
                    if (h.command() == ZclFrame.REPORT_ATTRIBUTES) {
                        meteringAttributes(d, ZclFrame.report(aps.getPayload(), h.length()));
                    } else if (h.command() == ZclFrame.READ_ATTRIBUTES_RESPONSE) {
                        meteringAttributes(d, ZclFrame.readResponse(aps.getPayload(), h.length()));
                    }
                }
                try {
                    library.receiveCommand(aps);
                } catch (RuntimeException e) {
                    // the frame passed the hub's strict check; the library's generated attribute model does not
                    // know every SE attribute (it fails on the gas meter's ReadingSnapShotTime report): the
                    // hub's own handling of the frame has happened and goes on
                    log.debug("ZigBee coordinator: the library could not process a frame of cluster {} from {}: {}",
                            aps.getCluster(), d.id, e.toString());
                }
            }
            if (d.unit < 0 && (d.type == DeviceType.ELECTRICITY_METER || d.type == DeviceType.GAS_METER)) {
                readFormatting(d);
            }
            if (d.isSleepy()) {
                flush(d);
            }
        }

        @Override
        public void setTransportState(ZigBeeTransportState s) {
            if (s != ZigBeeTransportState.ONLINE && networkState == HanNetworkState.UP) {
                networkState = HanNetworkState.DEGRADED;
                reason = "the dongle is " + s;
            } else if (s == ZigBeeTransportState.ONLINE && networkState == HanNetworkState.DEGRADED) {
                networkState = HanNetworkState.UP;
                reason = "";
            }
            library.setTransportState(s);
        }

        @Override
        public void nodeStatusUpdate(ZigBeeNodeStatus status, Integer nwk, IeeeAddress ieee) {
            Eui64 id = eui(ieee);
            switch (status) {
                case UNSECURED_JOIN, SECURED_REJOIN, UNSECURED_REJOIN -> {
                    Optional<DeviceLogEntry> e = deviceLog.find(id);
                    if (e.isEmpty()) {
                        refusedJoins.incrementAndGet();
                        event(EventKind.AUDIT, "JOIN_REFUSED", Severity.WARNING, id,
                                "not in the device log: told to leave");
                        ZigBeeNetworkManager m = manager;
                        if (m != null && nwk != null) {
                            worker.execute(() -> m.leave(nwk, ieee, true));
                        }
                        return;
                    }
                    admit(e.get(), nwk);
                    event(EventKind.EVENT, "DEVICE_JOINED", Severity.INFO, id,
                            e.get().type().gbcsName() + String.format(" at %04X", nwk));
                    library.nodeStatusUpdate(status, nwk, ieee);
                }
                case DEVICE_LEFT -> {
                    Device d = devices.remove(id);
                    if (d != null) {
                        byNwk.remove(d.nwk, d);
                        event(EventKind.EVENT, "DEVICE_LEFT", Severity.INFO, id, "");
                        library.nodeStatusUpdate(status, nwk, ieee);
                    }
                }
                default -> library.nodeStatusUpdate(status, nwk, ieee);
            }
        }

        @Override
        public void receiveCommandState(int msgTag, ZigBeeTransportProgressState s) {
            library.receiveCommandState(msgTag, s);
        }

        // transmit side: the dongle's, with the mirror endpoint as source of its answers --------------

        @Override
        public void sendCommand(int msgTag, ZigBeeApsFrame apsFrame) {
            int[] p = apsFrame.getPayload();
            if (apsFrame.getCluster() == CLUSTER_METERING && p != null && p.length >= 3 && (p[0] & 0x08) != 0) {
                Integer ep = mirrorSources.remove((long) apsFrame.getDestinationAddress() << 8 | (p[1] & 0xFF));
                if (ep != null) {
                    apsFrame.setSourceEndpoint(ep);
                }
            }
            dongle.sendCommand(msgTag, apsFrame);
        }

        @Override
        public void setZigBeeTransportReceive(ZigBeeTransportReceive receive) {
            this.library = receive;
            dongle.setZigBeeTransportReceive(this);
        }

        @Override
        public ZigBeeStatus initialize() {
            return dongle.initialize();
        }

        @Override
        public ZigBeeStatus startup(boolean reinitialize) {
            return dongle.startup(reinitialize);
        }

        @Override
        public void shutdown() {
            dongle.shutdown();
        }

        @Override
        public String getVersionString() {
            return dongle.getVersionString();
        }

        @Override
        public IeeeAddress getIeeeAddress() {
            return dongle.getIeeeAddress();
        }

        @Override
        public Integer getNwkAddress() {
            return dongle.getNwkAddress();
        }

        @Override
        public ZigBeeChannel getZigBeeChannel() {
            return dongle.getZigBeeChannel();
        }

        @Override
        public ZigBeeStatus setZigBeeChannel(ZigBeeChannel channel) {
            return dongle.setZigBeeChannel(channel);
        }

        @Override
        public int getZigBeePanId() {
            return dongle.getZigBeePanId();
        }

        @Override
        public ZigBeeStatus setZigBeePanId(int panId) {
            return dongle.setZigBeePanId(panId);
        }

        @Override
        public ExtendedPanId getZigBeeExtendedPanId() {
            return dongle.getZigBeeExtendedPanId();
        }

        @Override
        public ZigBeeStatus setZigBeeExtendedPanId(ExtendedPanId panId) {
            return dongle.setZigBeeExtendedPanId(panId);
        }

        @Override
        public ZigBeeStatus setZigBeeNetworkKey(ZigBeeKey key) {
            return dongle.setZigBeeNetworkKey(key);
        }

        @Override
        public ZigBeeKey getZigBeeNetworkKey() {
            return dongle.getZigBeeNetworkKey();
        }

        @Override
        public ZigBeeStatus setTcLinkKey(ZigBeeKey key) {
            return dongle.setTcLinkKey(key);
        }

        @Override
        public ZigBeeKey getTcLinkKey() {
            return dongle.getTcLinkKey();
        }

        @Override
        public void updateTransportConfig(TransportConfig configuration) {
            dongle.updateTransportConfig(configuration);
        }

        @Override
        public void setDefaultProfileId(int defaultProfileId) {
            dongle.setDefaultProfileId(defaultProfileId);
        }

        @Override
        public void setDefaultDeviceId(int defaultDeviceId) {
            dongle.setDefaultDeviceId(defaultDeviceId);
        }

        @Override
        public ZigBeeStatus setNetworkState(ZigBeeNetworkState networkState) {
            return dongle.setNetworkState(networkState);
        }
    }
}
