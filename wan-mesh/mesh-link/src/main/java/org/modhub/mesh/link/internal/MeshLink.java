package org.modhub.mesh.link.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapHandler;
import org.eclipse.californium.core.CoapObserveRelation;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.EmptyMessage;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.coap.MessageObserverAdapter;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.coap.Token;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.core.network.stack.ReliabilityLayerParameters;
import org.eclipse.californium.core.network.interceptors.MessageInterceptorAdapter;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.util.ExecutorsUtil;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.eclipse.californium.scandium.config.DtlsConnectorConfig;
import org.eclipse.californium.scandium.dtls.DTLSContext;
import org.eclipse.californium.scandium.dtls.HandshakeException;
import org.eclipse.californium.scandium.dtls.Handshaker;
import org.eclipse.californium.scandium.dtls.SessionAdapter;
import org.eclipse.californium.scandium.dtls.pskstore.AdvancedSinglePskStore;
import org.modhub.api.event.Severity;
import org.modhub.api.messaging.OutboundMessage;
import org.modhub.api.wan.HeadEndSession;
import org.modhub.api.wan.LinkProperties;
import org.modhub.api.wan.LinkState;
import org.modhub.api.wan.LinkStatus;
import org.modhub.api.wan.WanLink;

/**
 * The RF-mesh WAN link and the head-end session it carries: CoAP over DTLS (PSK) to a border gateway
 * that publishes to the head end's MQTT broker.
 *
 * <ul>
 * <li><b>Publish</b>: a confirmable {@code POST /d} of the outbox message (id, creation time, topic,
 * QoS, payload; see {@link MeshFrames}); completes when the gateway answers 2.04 with the message id,
 * which it does only once the broker has confirmed the message (PUBACK for QoS 1). Payloads above the
 * block size go block-wise (RFC 7959); Californium's CoCoA congestion control (RFC 9006 draft) paces
 * the exchanges and adapts the retransmission timeout to the measured round trip.</li>
 * <li><b>Subscribe</b>: CoAP Observe of {@code /s?f=FILTER}. The hub keeps opening every exchange
 * (the gateway never needs to reach the hub through the mesh's NAT/firewall or hold a DTLS client role
 * towards it); every notification carries the head of the gateway's queue for that subscription and
 * is acknowledged by a POST whose answer carries the next head, so replaced or lost notifications lose
 * nothing; sequence numbers de-duplicate.</li>
 * <li><b>Link state</b>: CONNECTING during the DTLS handshake, UP when the gateway answers, DEGRADED
 * when the share of retransmissions over the last exchanges reaches the threshold or the gateway
 * reports its broker unreachable, DOWN when a handshake fails or the gateway stops answering pings;
 * while DOWN the link forgets the DTLS session (a restarted gateway no longer knows it) and reconnects
 * with a fresh handshake every reconnect interval.</li>
 * </ul>
 */
public final class MeshLink implements WanLink, HeadEndSession {
    public static final String TECHNOLOGY_NAME = "mesh";
    static final int WINDOW = 32;
    static final int MIN_SAMPLES = 8;
    /** Californium's own NSTART: high, so its queue never holds anything back (see {@link #configuration}). */
    static final int CALIFORNIUM_NSTART = 4096;
    /** Consecutive unanswered pings after which an UP link is DOWN (one lost datagram is not an outage). */
    static final int PINGS_BEFORE_DOWN = 2;
    /** Longest single retransmission wait, in ACK timeouts (see {@link #configuration}). */
    static final int MAX_ACK_TIMEOUT_FACTOR = 8;

    /**
     * Californium's configuration modules, registered once on first use (on the link's own thread, not
     * on the component's activation path).
     */
    private static final class Modules {
        static {
            CoapConfig.register();
            DtlsConfig.register();
        }

        static void ensure() {
            // class initialisation registers the modules
        }
    }

    private final MeshSettings settings;
    private final MeshLog log;
    private final Consumer<LinkStatus> onStateChange;
    private final Object lock = new Object();
    private final List<Sub> subscriptions = new CopyOnWriteArrayList<>();
    private final Set<CompletableFuture<Instant>> inFlight = ConcurrentHashMap.newKeySet();
    private final RetransmissionWindow window = new RetransmissionWindow(WINDOW);
    /** NSTART, enforced here for publishes: see {@link #configuration}. */
    private final Semaphore slots;
    private final Queue<Runnable> waiting = new ConcurrentLinkedQueue<>();
    private final AtomicInteger drainPasses = new AtomicInteger();
    private volatile LinkStatus status = LinkStatus.of(LinkState.DOWN, "not started");
    private volatile boolean closed = true;
    private volatile boolean brokerUnavailable;
    private volatile String handshakeFailure;
    private volatile long lastSuccessNanos;
    private long nextConnectNanos;
    private volatile DTLSConnector dtls;
    private volatile CoapEndpoint endpoint;
    private volatile CoapClient client;
    private int failedPings;
    private volatile ReliabilityLayerParameters pingReliability;
    private ScheduledExecutorService protocol;
    private ScheduledThreadPoolExecutor secondary;
    private ScheduledThreadPoolExecutor supervisor;
    private ExecutorService inbound;
    private String dataUri;
    private String subscriptionUri;

    public MeshLink(MeshSettings settings, MeshLog log, Consumer<LinkStatus> onStateChange) {
        this.settings = Objects.requireNonNull(settings);
        this.log = Objects.requireNonNull(log);
        this.onStateChange = onStateChange == null ? s -> { } : onStateChange;
        this.slots = new Semaphore(settings.nstart());
    }

    /**
     * Californium settings for the link, never read from or written to a file.
     *
     * <p>CoCoA (Californium's {@code CongestionControlLayer}) adapts the retransmission timeout to the
     * measured round trip, but its per-peer NSTART queue is not used to limit exchanges: it frees a slot
     * only when a response, ACK/RST or the final timeout arrives, never when a request is cancelled or
     * fails to be sent (e.g. dropped by Scandium for a session that was replaced), and its per-peer state
     * outlives a DTLS session. On a lossy radio such leaked slots left every later request, the CoAP
     * ping included, queued for ever. So Californium's NSTART is set far above anything this link puts
     * in flight, and the link enforces NSTART itself for its publishes, freeing a slot on every outcome;
     * and every reconnection builds a fresh endpoint, so no per-peer state survives a DOWN.
     */
    static Configuration configuration(MeshSettings s) {
        Modules.ensure();
        Configuration c = Configuration.createStandardWithoutFile();
        c.set(CoapConfig.PREFERRED_BLOCK_SIZE, s.blockSize());
        c.set(CoapConfig.MAX_MESSAGE_SIZE, s.blockSize());
        c.set(CoapConfig.MAX_RESOURCE_BODY_SIZE, Math.max(s.maxPayloadBytes() + 2048, 8192));
        c.set(CoapConfig.CONGESTION_CONTROL_ALGORITHM, CoapConfig.CongestionControlMode.COCOA);
        c.set(CoapConfig.NSTART, CALIFORNIUM_NSTART);
        c.set(CoapConfig.ACK_TIMEOUT, s.ackTimeoutMs(), TimeUnit.MILLISECONDS);
        // CoCoA's RTO grows with weak (retransmitted) samples on a lossy radio; bound any single wait so a
        // lost datagram costs seconds, not a minute (Californium's default bound is 60 s)
        c.set(CoapConfig.MAX_ACK_TIMEOUT, Math.min(60_000, s.ackTimeoutMs() * MAX_ACK_TIMEOUT_FACTOR), TimeUnit.MILLISECONDS);
        c.set(CoapConfig.MAX_RETRANSMIT, s.maxRetransmit());
        c.set(CoapConfig.PROTOCOL_STAGE_THREAD_COUNT, 2);
        c.set(DtlsConfig.DTLS_ROLE, DtlsConfig.DtlsRole.CLIENT_ONLY);
        c.set(DtlsConfig.DTLS_MAX_TRANSMISSION_UNIT, s.mtu());
        c.set(DtlsConfig.DTLS_RETRANSMISSION_TIMEOUT, Math.max(s.ackTimeoutMs(), 1000), TimeUnit.MILLISECONDS);
        c.set(DtlsConfig.DTLS_RECEIVER_THREAD_COUNT, 1);
        c.set(DtlsConfig.DTLS_CONNECTOR_THREAD_COUNT, 1);
        return c;
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Starts the link's threads. Cheap: no Californium endpoint, socket or handshake here — the
     * supervisor thread builds the endpoint and connects (so a component activation stays fast).
     */
    public void start() throws IOException {
        synchronized (lock) {
            if (!closed) {
                return;
            }
            protocol = ExecutorsUtil.newScheduledThreadPool(2, daemon("modhub-mesh-coap-"));
            secondary = ExecutorsUtil.newDefaultSecondaryScheduler("modhub-mesh-timer-");
            inbound = Executors.newSingleThreadExecutor(daemon("modhub-mesh-inbound-"));
            String base = "coaps://" + settings.gatewayUri().getHost() + ":" + settings.gatewayUri().getPort();
            dataUri = base + "/d";
            subscriptionUri = base + "/s";
            supervisor = new ScheduledThreadPoolExecutor(1, daemon("modhub-mesh-supervisor-"));
            supervisor.setRemoveOnCancelPolicy(true);
            closed = false;
            nextConnectNanos = System.nanoTime();
            long tick = Math.max(50, Math.min(1_000, Math.min(settings.keepAliveMs(), settings.reconnectMs()) / 2));
            supervisor.scheduleWithFixedDelay(this::supervise, 0, tick, TimeUnit.MILLISECONDS);
            log.info("mesh link started: " + settings);
        }
    }

    /**
     * A fresh Californium endpoint (DTLS connector, CoAP stack with its congestion-control state) and
     * client; the previous one, if any, is destroyed after its exchanges were failed.
     */
    private void openEndpoint() {
        Configuration config = configuration(settings);
        DtlsConnectorConfig dtlsConfig = DtlsConnectorConfig.builder(config)
                .setAddress(new InetSocketAddress(settings.bindAddress(), 0))
                .setAdvancedPskStore(new AdvancedSinglePskStore(settings.pskIdentity(), settings.pskSecret()))
                .setSessionListener(new SessionAdapter() {
                    @Override
                    public void handshakeFailed(Handshaker handshaker, Throwable error) {
                        handshakeFailure = String.valueOf(error.getMessage());
                    }

                    @Override
                    public void contextEstablished(Handshaker handshaker, DTLSContext context)
                            throws HandshakeException {
                        handshakeFailure = null;
                    }
                })
                .setLoggingTag("mesh-link")
                .build();
        DTLSConnector connector = new DTLSConnector(dtlsConfig);
        connector.setAlertHandler((peer, alert) -> handshakeFailure = "alert " + alert.getLevel() + " "
                + alert.getDescription());
        pingReliability = ReliabilityLayerParameters.builder().applyConfig(config).build();
        CoapEndpoint e = new CoapEndpoint.Builder().setConfiguration(config).setConnector(connector).build();
        e.addInterceptor(new MessageInterceptorAdapter() {
            // anything authentic from the gateway (after DTLS) shows it is alive
            @Override
            public void receiveResponse(Response response) {
                lastSuccessNanos = System.nanoTime();
            }

            @Override
            public void receiveEmptyMessage(EmptyMessage message) {
                lastSuccessNanos = System.nanoTime();
            }
        });
        e.setExecutors(protocol, secondary);
        try {
            e.start();
        } catch (IOException ex) {
            e.destroy();
            throw new IllegalStateException("cannot open the mesh endpoint on " + settings.bindAddress() + ": " + ex, ex);
        }
        CoapClient c = new CoapClient();
        c.setEndpoint(e);
        c.setExecutors(inbound, secondary, true);
        c.setURI("coaps://" + settings.gatewayUri().getHost() + ":" + settings.gatewayUri().getPort());
        CoapEndpoint old;
        synchronized (lock) {
            old = endpoint;
            dtls = connector;
            endpoint = e;
            client = c;
        }
        if (old != null) {
            old.destroy();
        }
    }

    public void stop() {
        ScheduledThreadPoolExecutor sup;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            sup = supervisor;
        }
        sup.shutdownNow();
        try {
            sup.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Sub s : subscriptions) {
            s.cancelLocally();
        }
        failInFlight(new IllegalStateException("mesh link stopped"));
        CoapEndpoint e = endpoint;
        if (e != null) {
            e.destroy();
        }
        inbound.shutdownNow();
        ExecutorsUtil.shutdownExecutorGracefully(1_000, protocol, secondary);
        setStatus(LinkState.DOWN, "stopped");
        log.info("mesh link stopped");
    }

    /** Fails every publish that is queued or in flight; the caller (the outbox) still owns them. */
    private void failInFlight(Exception why) {
        for (CompletableFuture<Instant> f : List.copyOf(inFlight)) {
            f.completeExceptionally(why);
        }
    }

    // ---- supervision: handshake, ping, retransmission rate ----

    private void supervise() {
        try {
            if (closed) {
                return;
            }
            LinkState state = status.state();
            long now = System.nanoTime();
            if (!state.isUsable()) {
                if (now - nextConnectNanos >= 0) {
                    connect();
                    nextConnectNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.reconnectMs());
                }
                return;
            }
            long silentMs = TimeUnit.NANOSECONDS.toMillis(now - lastSuccessNanos);
            if (silentMs > settings.keepAliveMs()) {
                // Californium queues nothing (see configuration()), so the ping goes out at once even while
                // publishes wait for their answers: it probes the gateway, not the queue
                long heardBefore = lastSuccessNanos;
                if (ping() || lastSuccessNanos != heardBefore) {
                    // answered, or the ping was lost but the gateway answered other exchanges meanwhile:
                    // a lossy radio, not a dead gateway
                    failedPings = 0;
                } else if (++failedPings >= PINGS_BEFORE_DOWN) {
                    down("the border gateway stopped answering (" + failedPings + " CoAP pings unanswered within "
                            + settings.pingTimeoutMs() + " ms each; nothing heard for "
                            + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastSuccessNanos) + " ms while "
                            + inFlight.size() + " messages wait)");
                    return;
                }
            }
            evaluate();
            for (Sub s : subscriptions) {
                s.retryAck();
            }
        } catch (RuntimeException e) {
            log.warn("mesh link supervision failed: " + e);
        }
    }

    private void connect() {
        setStatus(LinkState.CONNECTING, "DTLS handshake with " + settings.gatewayUri());
        // publishes of the previous endpoint can no longer be answered in their DTLS session: fail them now
        // (the outbox sends them again) rather than let them time out
        failInFlight(new IOException("mesh link reconnecting to " + settings.gatewayUri()));
        handshakeFailure = null;
        failedPings = 0;
        try {
            openEndpoint();
        } catch (RuntimeException e) {
            setStatus(LinkState.DOWN, e.getMessage());
            return;
        }
        if (!ping()) {
            String hf = handshakeFailure;
            setStatus(LinkState.DOWN, hf != null ? "DTLS handshake with " + settings.gatewayUri() + " failed: " + hf
                    : "no answer from the border gateway " + settings.gatewayUri() + " within " + settings.pingTimeoutMs() + " ms");
            return;
        }
        window.reset();
        brokerUnavailable = false;
        for (Sub s : subscriptions) {
            s.register();
        }
        evaluate();
        drain();
    }

    private void down(String reason) {
        setStatus(LinkState.DOWN, reason);
        nextConnectNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.reconnectMs());
    }

    /**
     * CoAP ping (an empty confirmable message answered by a reset), which also drives the handshake. It
     * carries its own reliability parameters (the configured ACK timeout), not the RTO CoCoA estimated
     * for the peer: after losses that estimate grows to many seconds, and a ping waiting that long for its
     * first retransmission would probe once per ping timeout at most.
     */
    private boolean ping() {
        CoapEndpoint e = endpoint;
        if (e == null) {
            return false;
        }
        try {
            Request ping = Request.newPing();
            ping.setToken(Token.EMPTY);
            ping.setURI("coaps://" + settings.gatewayUri().getHost() + ":" + settings.gatewayUri().getPort());
            ping.setReliabilityLayerParameters(pingReliability);
            e.sendRequest(ping);
            ping.waitForResponse(settings.pingTimeoutMs());
            boolean ok = ping.isRejected();
            if (ok) {
                lastSuccessNanos = System.nanoTime();
            } else {
                ping.cancel();
            }
            return ok;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return false;
        } catch (RuntimeException ex) {
            handshakeFailure = handshakeFailure == null ? ex.getMessage() : handshakeFailure;
            return false;
        }
    }

    private void evaluate() {
        int rate = window.percent();
        if (brokerUnavailable) {
            setStatus(LinkState.DEGRADED, "the border gateway reports the head-end broker unreachable");
        } else if (window.samples() >= MIN_SAMPLES && rate >= settings.degradedRetransmissionPercent()) {
            setStatus(LinkState.DEGRADED, rate + "% of transmissions to the border gateway were retransmissions");
        } else {
            setStatus(LinkState.UP, "DTLS session with " + settings.gatewayUri() + "; " + rate + "% retransmissions");
        }
    }

    private void setStatus(LinkState state, String reason) {
        LinkStatus old;
        LinkStatus now;
        synchronized (lock) {
            old = status;
            if (old.state() == state) {
                return;
            }
            now = LinkStatus.of(state, reason);
            status = now;
        }
        Severity severity = state == LinkState.DOWN && old.state() != LinkState.CONNECTING ? Severity.WARNING
                : state == LinkState.DEGRADED ? Severity.WARNING : Severity.INFO;
        if (!(state == LinkState.DOWN && reason.equals("stopped"))) {
            log.event(severity, "MESH_LINK_" + state.name(), old.state() + " -> " + state + ": " + reason);
        }
        log.info("mesh link " + old.state() + " -> " + state + ": " + reason);
        try {
            onStateChange.accept(now);
        } catch (RuntimeException e) {
            log.warn("mesh link state listener failed: " + e);
        }
    }

    // ---- WanLink ----

    @Override
    public String technology() {
        return TECHNOLOGY_NAME;
    }

    @Override
    public LinkStatus status() {
        return status;
    }

    @Override
    public LinkProperties properties() {
        return new LinkProperties(settings.mtu(), settings.bandwidthBps(), false, OptionalInt.empty());
    }

    /** Share of retransmissions over the last exchanges, in percent. */
    int retransmissionPercent() {
        return window.percent();
    }

    // ---- HeadEndSession ----

    @Override
    public boolean isConnected() {
        return !closed && status.state().isUsable();
    }

    @Override
    public int maxPayloadSize() {
        return settings.maxPayloadBytes();
    }

    @Override
    public CompletionStage<Instant> publish(String topic, byte[] payload, int qos) {
        CompletableFuture<Instant> f = new CompletableFuture<>();
        OutboundMessage m;
        try {
            m = new OutboundMessage(java.util.UUID.randomUUID().toString(), topic, OutboundMessage.PRIORITY_NORMAL, qos,
                    Instant.now(), payload == null ? new byte[0] : payload);
        } catch (IllegalArgumentException e) {
            f.completeExceptionally(e);
            return f;
        }
        return publish(m);
    }

    @Override
    public CompletionStage<Instant> publish(OutboundMessage message) {
        CompletableFuture<Instant> f = new CompletableFuture<>();
        if (closed) {
            f.completeExceptionally(new IllegalStateException("mesh link stopped"));
            return f;
        }
        LinkState state = status.state();
        if (!state.isUsable()) {
            f.completeExceptionally(new IllegalStateException("mesh link is " + state + ": " + status.reason()));
            return f;
        }
        if (message.payloadLength() > settings.maxPayloadBytes()) {
            f.completeExceptionally(new IllegalArgumentException("payload of " + message.payloadLength()
                    + " B exceeds the mesh session's maximum of " + settings.maxPayloadBytes() + " B"));
            return f;
        }
        byte[] frame;
        try {
            frame = MeshFrames.encodeUplink(message);
        } catch (IllegalArgumentException e) {
            f.completeExceptionally(e);
            return f;
        }
        String id = message.id();
        inFlight.add(f);
        f.whenComplete((i, e) -> inFlight.remove(f));
        Request request = Request.newPost();
        request.setURI(dataUri);
        request.setPayload(frame);
        request.getOptions().setContentFormat(MediaTypeRegistry.APPLICATION_OCTET_STREAM);
        try {
            // queueing time counts: the outbox learns of a stuck link within the request timeout
            supervisor.schedule(() -> {
                if (!f.isDone()) {
                    request.cancel();
                    f.completeExceptionally(new TimeoutException(
                            "publish of " + id + " not confirmed within " + settings.requestTimeoutMs() + " ms"));
                }
            }, settings.requestTimeoutMs(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(new IllegalStateException("mesh link stopped", e));
            return f;
        }
        waiting.add(() -> send(f, id, request));
        drain();
        return f;
    }

    /**
     * Starts queued publishes while fewer than NSTART are in flight. A slot is taken before a request goes
     * to Californium and given back when its future completes, whatever the outcome (answer, timeout,
     * reset, cancel, send error, reconnection, stop), so no outcome can leak a slot.
     */
    private void drain() {
        // non-reentrant (a publish that fails at once calls back in here): callers during a pass only ask
        // for another pass
        if (drainPasses.getAndIncrement() != 0) {
            return;
        }
        int passes = 1;
        while (true) {
            while (slots.tryAcquire()) {
                Runnable next = waiting.poll();
                if (next == null) {
                    slots.release();
                    break;
                }
                next.run();
            }
            passes = drainPasses.addAndGet(-passes);
            if (passes == 0) {
                return;
            }
        }
    }

    /** Runs with a slot held; the slot is released exactly once, when {@code f} completes. */
    private void send(CompletableFuture<Instant> f, String id, Request request) {
        AtomicBoolean held = new AtomicBoolean(true);
        Runnable release = () -> {
            if (held.compareAndSet(true, false)) {
                slots.release();
                drain();
            }
        };
        if (f.isDone()) {
            release.run(); // failed or timed out while queued
            return;
        }
        CoapEndpoint e = endpoint;
        if (closed || e == null || !status.state().isUsable()) {
            f.completeExceptionally(new IllegalStateException("mesh link is " + status.state() + ": " + status.reason()));
            release.run();
            return;
        }
        AtomicInteger retransmissions = new AtomicInteger();
        request.addMessageObserver(new MessageObserverAdapter() {
            @Override
            public void onRetransmission() {
                retransmissions.incrementAndGet();
            }

            @Override
            public void onResponse(Response response) {
                window.add(retransmissions.get());
                answered(f, id, response);
            }

            @Override
            public void onTimeout() {
                window.add(settings.maxRetransmit() + 1);
                f.completeExceptionally(new TimeoutException("no acknowledgement from the border gateway for " + id
                        + " after " + settings.maxRetransmit() + " retransmissions"));
            }

            @Override
            public void onReject() {
                f.completeExceptionally(new MeshProtocolException("the border gateway rejected (RST) " + id));
            }

            @Override
            public void onCancel() {
                f.completeExceptionally(new IllegalStateException("publish of " + id + " cancelled"));
            }

            @Override
            protected void failed() {
                f.completeExceptionally(new IOException("publish of " + id + " failed"));
            }

            @Override
            public void onSendError(Throwable error) {
                f.completeExceptionally(new IOException("cannot send " + id + " to the border gateway: " + error, error));
            }
        });
        f.whenComplete((i, x) -> {
            if (x != null && !request.isCanceled() && request.getResponse() == null) {
                request.cancel(); // failed from outside (reconnection, stop): Californium stops retransmitting
            }
            release.run();
        });
        try {
            e.sendRequest(request);
        } catch (RejectedExecutionException | IllegalStateException ex) {
            f.completeExceptionally(new IllegalStateException("mesh link stopped", ex));
        }
    }

    private void answered(CompletableFuture<Instant> f, String id, Response response) {
        ResponseCode code = response.getCode();
        if (code == ResponseCode.CHANGED) {
            String echoed = response.getPayloadString();
            if (id.equals(echoed)) {
                lastSuccessNanos = System.nanoTime();
                brokerUnavailable = false;
                f.complete(Instant.now());
                return;
            }
            bad(f, new MeshProtocolException("the border gateway confirmed '" + abbreviate(echoed) + "' for message " + id));
        } else if (code == ResponseCode.SERVICE_UNAVAILABLE || code == ResponseCode.GATEWAY_TIMEOUT) {
            lastSuccessNanos = System.nanoTime();
            if (code == ResponseCode.SERVICE_UNAVAILABLE) {
                brokerUnavailable = true;
            }
            f.completeExceptionally(new GatewayUnavailableException(
                    "border gateway answered " + code + " for " + id + ": " + abbreviate(response.getPayloadString())));
        } else if (code.isSuccess()) {
            bad(f, new MeshProtocolException("the border gateway answered " + code + " (not 2.04) for message " + id));
        } else {
            bad(f, new MeshProtocolException("the border gateway refused message " + id + ": " + code + " "
                    + abbreviate(response.getPayloadString())));
        }
    }

    private void bad(CompletableFuture<?> f, MeshProtocolException e) {
        log.event(Severity.WARNING, "MESH_BAD_RESPONSE", e.getMessage());
        log.warn(e.getMessage());
        f.completeExceptionally(e);
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        String printable = s.replaceAll("[^\\x20-\\x7E]", "?");
        return printable.length() > 120 ? printable.substring(0, 120) + "..." : printable;
    }

    @Override
    public Subscription subscribe(String topicFilter, int qos, InboundListener listener) {
        if (!isFilter(topicFilter)) {
            throw new IllegalArgumentException("not an application topic filter: '" + topicFilter + "'");
        }
        Objects.requireNonNull(listener, "listener");
        Sub sub = new Sub(topicFilter, listener);
        subscriptions.add(sub);
        if (isConnected()) {
            sub.register();
        }
        return sub;
    }

    static boolean isFilter(String filter) {
        if (filter == null || filter.isEmpty() || filter.startsWith("/") || filter.startsWith("$")
                || filter.getBytes(StandardCharsets.UTF_8).length > MeshFrames.MAX_TOPIC_BYTES) {
            return false;
        }
        String[] levels = filter.split("/", -1);
        for (int i = 0; i < levels.length; i++) {
            String level = levels[i];
            if (level.contains("#") && (!level.equals("#") || i != levels.length - 1)) {
                return false;
            }
            if (level.contains("+") && !level.equals("+")) {
                return false;
            }
        }
        return true;
    }

    /** One subscription: an Observe relation on the gateway's queue for it, with de-duplication. */
    private final class Sub implements Subscription {
        final String filter;
        final InboundListener listener;
        private volatile CoapObserveRelation relation;
        private long epoch;
        private long lastSeq;
        private volatile long[] pendingAck;
        private volatile boolean open = true;

        Sub(String filter, InboundListener listener) {
            this.filter = filter;
            this.listener = listener;
        }

        private Request request(Request r) {
            r.setURI(subscriptionUri);
            r.getOptions().addUriQuery("f=" + filter);
            return r;
        }

        void register() {
            if (!open || closed) {
                return;
            }
            CoapObserveRelation old = relation;
            if (old != null) {
                old.reactiveCancel();
            }
            Request get = request(Request.newGet());
            get.setObserve();
            relation = client.observe(get, new CoapHandler() {
                @Override
                public void onLoad(CoapResponse response) {
                    frame(response.advanced());
                }

                @Override
                public void onError() {
                    log.debug("mesh subscription " + filter + ": observe request failed");
                }
            });
        }

        synchronized void frame(Response response) {
            if (!open) {
                return;
            }
            if (!response.isSuccess()) {
                log.event(Severity.WARNING, "MESH_BAD_RESPONSE", "subscription " + filter + ": the border gateway answered "
                        + response.getCode() + " " + abbreviate(response.getPayloadString()));
                return;
            }
            MeshFrames.Downlink d;
            try {
                d = MeshFrames.decodeDownlink(response.getPayload());
            } catch (MeshProtocolException e) {
                log.event(Severity.WARNING, "MESH_BAD_FRAME", "subscription " + filter + ": " + e.getMessage());
                log.warn("mesh subscription " + filter + ": malformed frame from the border gateway: " + e.getMessage());
                return;
            }
            if (d.epoch() != epoch) {
                epoch = d.epoch(); // a (re)started gateway numbers from 1 again
                lastSeq = 0;
            }
            if (!d.isMessage()) {
                return;
            }
            if (d.seq() > lastSeq) {
                lastSeq = d.seq();
                try {
                    listener.received(d.topic(), d.payload());
                } catch (RuntimeException e) {
                    log.warn("mesh subscription " + filter + ": listener failed: " + e);
                }
            }
            ack(d.epoch(), d.seq());
        }

        void ack(long e, long seq) {
            long[] a = {e, seq};
            pendingAck = a;
            Request post = request(Request.newPost());
            post.setPayload(MeshFrames.encodeAck(e, seq));
            post.getOptions().setContentFormat(MediaTypeRegistry.APPLICATION_OCTET_STREAM);
            try {
                client.advanced(new CoapHandler() {
                    @Override
                    public void onLoad(CoapResponse response) {
                        if (pendingAck == a) {
                            pendingAck = null;
                        }
                        frame(response.advanced());
                    }

                    @Override
                    public void onError() {
                        // retried by the supervisor while pendingAck is set
                    }
                }, post);
            } catch (RuntimeException ex) {
                log.debug("mesh subscription " + filter + ": ack not sent: " + ex);
            }
        }

        void retryAck() {
            long[] a = pendingAck;
            if (a != null && open) {
                ack(a[0], a[1]);
            }
        }

        void cancelLocally() {
            CoapObserveRelation r = relation;
            if (r != null) {
                r.reactiveCancel();
            }
        }

        @Override
        public void close() {
            if (!open) {
                return;
            }
            open = false;
            subscriptions.remove(this);
            CoapObserveRelation r = relation;
            if (closed) {
                cancelLocally();
                return;
            }
            try {
                if (r != null) {
                    r.proactiveCancel();
                }
                client.advanced(new CoapHandler() {
                    @Override
                    public void onLoad(CoapResponse response) {
                    }

                    @Override
                    public void onError() {
                    }
                }, request(Request.newDelete()));
            } catch (RuntimeException e) {
                cancelLocally();
            }
        }
    }
}
