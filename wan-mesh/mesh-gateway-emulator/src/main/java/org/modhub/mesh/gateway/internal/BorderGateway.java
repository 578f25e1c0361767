package org.modhub.mesh.gateway.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.CoapServer;
import org.eclipse.californium.core.coap.CoAP;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.core.network.interceptors.MessageInterceptorAdapter;
import org.eclipse.californium.core.observe.ObserveRelation;
import org.eclipse.californium.core.server.resources.CoapExchange;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.eclipse.californium.scandium.config.DtlsConnectorConfig;
import org.eclipse.californium.scandium.dtls.pskstore.AdvancedMultiPskStore;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallbackExtended;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.modhub.api.cloud.KuraDataCodec;
import org.modhub.api.messaging.MalformedMessageException;

/**
 * An emulated RF-mesh border gateway: a CoAP-over-DTLS (PSK) server on the mesh side and an MQTT client
 * to the head-end broker on the other, with an emulated radio ({@link RadioRelay}) in front of it.
 *
 * <p>Uplink: a confirmable {@code POST /d} carries one outbox message (see {@link GatewayFrames}); the
 * gateway publishes it on {@code {account}/{client_id}/{app_topic}} with exactly the payload bytes
 * {@link KuraDataCodec#encode} gives, the same bytes the hub's MQTT session sends, and answers 2.04
 * with the message id only once the broker has confirmed it (PUBACK for QoS 1). Bodies above the block
 * size arrive block-wise (RFC 7959) and are reassembled by Californium.
 *
 * <p>Downlink: head-end messages are KuraPayloads; the gateway decodes them with {@link KuraDataCodec}
 * and forwards the body, exactly what the MQTT session hands its subscribers (a malformed one is dropped
 * and counted). The hub observes {@code GET /s?f=FILTER}; the gateway subscribes to
 * {@code {account}/{client_id}/FILTER} at the broker and queues what arrives per hub subscription.
 * Each notification (confirmable) carries the head of the queue; the hub acknowledges with
 * {@code POST /s?f=FILTER} and receives the next head in the answer. A notification that Californium
 * replaces by a newer one loses nothing: the head stays until acknowledged. Sequence numbers carry the
 * gateway's random epoch, so a restarted gateway is never mistaken for a duplicate.
 *
 * <p>Usable as a plain Java object (tests) and from the OSGi emulator component.
 */
public final class BorderGateway implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();

    static {
        CoapConfig.register();
        DtlsConfig.register();
    }

    private final GatewaySettings settings;
    private final GatewayLog log;
    private final long epoch;
    private final Map<String, HubQueue> queues = new ConcurrentHashMap<>();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong block1Requests = new AtomicLong();
    private final AtomicLong forwarded = new AtomicLong();
    private final AtomicLong largestRequest = new AtomicLong();
    private CoapServer server;
    private CoapEndpoint endpoint;
    private RadioRelay relay;
    private MqttAsyncClient mqtt;
    private ScheduledThreadPoolExecutor timer;
    private SubscriptionResource subscriptions;
    private volatile boolean running;

    public BorderGateway(GatewaySettings settings, GatewayLog log) {
        this.settings = settings;
        this.log = log == null ? GatewayLog.system() : log;
        long e;
        do {
            e = RANDOM.nextLong();
        } while (e == 0);
        this.epoch = e;
    }

    /** Californium settings shared by the gateway's endpoint; never read from or written to a file. */
    static Configuration configuration(GatewaySettings s) {
        Configuration c = Configuration.createStandardWithoutFile();
        c.set(CoapConfig.PREFERRED_BLOCK_SIZE, s.blockSize());
        c.set(CoapConfig.MAX_MESSAGE_SIZE, s.blockSize());
        c.set(CoapConfig.MAX_RESOURCE_BODY_SIZE, s.maxBodySize());
        c.set(CoapConfig.CONGESTION_CONTROL_ALGORITHM, CoapConfig.CongestionControlMode.COCOA);
        c.set(CoapConfig.PROTOCOL_STAGE_THREAD_COUNT, 2);
        c.set(DtlsConfig.DTLS_ROLE, DtlsConfig.DtlsRole.SERVER_ONLY);
        c.set(DtlsConfig.DTLS_MAX_TRANSMISSION_UNIT, s.radio().mtu());
        c.set(DtlsConfig.DTLS_RECEIVER_THREAD_COUNT, 1);
        c.set(DtlsConfig.DTLS_CONNECTOR_THREAD_COUNT, 1);
        return c;
    }

    public synchronized void start() throws IOException {
        if (running) {
            return;
        }
        Configuration config = configuration(settings);
        AdvancedMultiPskStore psk = new AdvancedMultiPskStore();
        psk.setKey(settings.pskIdentity(), settings.pskSecret());
        DtlsConnectorConfig dtlsConfig = DtlsConnectorConfig.builder(config)
                .setAddress(new InetSocketAddress(settings.host(), settings.coapPort()))
                .setReuseAddress(true)
                .setAdvancedPskStore(psk)
                .setLoggingTag("mesh-gw")
                .build();
        DTLSConnector dtls = new DTLSConnector(dtlsConfig);
        endpoint = new CoapEndpoint.Builder().setConfiguration(config).setConnector(dtls).build();
        endpoint.addInterceptor(new MessageInterceptorAdapter() {
            @Override
            public void receiveRequest(Request request) {
                if (request.getOptions().hasBlock1()) {
                    block1Requests.incrementAndGet();
                }
                largestRequest.accumulateAndGet(request.getPayloadSize(), Math::max);
            }
        });
        server = new CoapServer(config);
        server.addEndpoint(endpoint);
        subscriptions = new SubscriptionResource();
        server.add(new DataResource(), subscriptions);
        timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "mesh-gw-timer");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        server.start();
        try {
            if (settings.radioPort() >= 0) {
                relay = new RadioRelay(settings.radio(), new InetSocketAddress(settings.host(), settings.radioPort()),
                        endpoint.getAddress());
            }
            mqtt = new MqttAsyncClient(settings.brokerUri(), settings.mqttClientId(), new MemoryPersistence());
        } catch (IOException | MqttException | RuntimeException e) {
            stopQuietly();
            throw new IOException("border gateway failed to start: " + e.getMessage(), e);
        }
        mqtt.setCallback(new Callback());
        running = true;
        timer.execute(this::connect);
        log.info("mesh border gateway up: CoAP/DTLS " + endpoint.getAddress() + ", radio " + meshAddress() + " "
                + settings.radio() + ", broker " + settings.brokerUri() + " as " + settings.mqttClientId());
    }

    private void connect() {
        if (!running || mqtt.isConnected()) {
            return;
        }
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(true);
        o.setAutomaticReconnect(true);
        o.setMaxInflight(1_000);
        o.setConnectionTimeout(10);
        o.setKeepAliveInterval(30);
        try {
            mqtt.connect(o).waitForCompletion(15_000);
        } catch (MqttException e) {
            if (running) {
                log.warn("mesh border gateway cannot reach the broker " + settings.brokerUri() + ": " + e.getMessage()
                        + "; retrying");
                try {
                    timer.schedule(this::connect, 1, TimeUnit.SECONDS);
                } catch (RejectedExecutionException stopped) {
                    // stopping
                }
            }
        }
    }

    private final class Callback implements MqttCallbackExtended {
        @Override
        public void connectComplete(boolean reconnect, String serverURI) {
            log.info("mesh border gateway connected to " + serverURI + (reconnect ? " (reconnected)" : ""));
            for (HubQueue q : queues.values()) {
                subscribe(q.filter);
            }
        }

        @Override
        public void connectionLost(Throwable cause) {
            log.warn("mesh border gateway lost the broker: " + cause);
        }

        @Override
        public void messageArrived(String topic, MqttMessage message) {
            fromHeadEnd(topic, message.getPayload());
        }

        @Override
        public void deliveryComplete(org.eclipse.paho.client.mqttv3.IMqttDeliveryToken token) {
            // the publish listeners answer the hub
        }
    }

    private String prefix() {
        return settings.account() + "/" + settings.clientId() + "/";
    }

    private void subscribe(String filter) {
        try {
            if (mqtt.isConnected()) {
                mqtt.subscribe(prefix() + filter, 1);
            }
        } catch (MqttException e) {
            log.warn("mesh border gateway cannot subscribe to " + prefix() + filter + ": " + e.getMessage());
        }
    }

    /** A message from the head end: queued for every hub subscription it matches. */
    void fromHeadEnd(String wireTopic, byte[] payload) {
        if (!wireTopic.startsWith(prefix())) {
            return;
        }
        String topic = wireTopic.substring(prefix().length());
        byte[] body;
        try {
            body = KuraDataCodec.decode(payload).body(); // as the MQTT session does: the hub sees the body
        } catch (MalformedMessageException e) {
            malformed.incrementAndGet();
            log.warn("mesh border gateway dropped a malformed head-end message on " + wireTopic + ": " + e.getMessage());
            return;
        }
        for (HubQueue q : queues.values()) {
            if (TopicFilters.matches(q.filter, topic)) {
                if (q.add(topic, body)) {
                    log.warn("mesh border gateway dropped the oldest queued message for " + q.filter + " (queue full)");
                }
                forwarded.incrementAndGet();
                SubscriptionResource r = subscriptions;
                if (r != null) {
                    r.changed(rel -> q.filter.equals(filterOf(rel)));
                }
            }
        }
    }

    private static String filterOf(ObserveRelation relation) {
        List<String> query = relation.getExchange().getRequest().getOptions().getUriQuery();
        for (String q : query) {
            if (q.startsWith("f=")) {
                return q.substring(2);
            }
        }
        return null;
    }

    private static String filterOf(CoapExchange exchange) {
        for (String q : exchange.getRequestOptions().getUriQuery()) {
            if (q.startsWith("f=")) {
                return q.substring(2);
            }
        }
        return null;
    }

    /** Messages from the head end waiting for one hub subscription, oldest first. */
    final class HubQueue {
        final String filter;
        private final ArrayDeque<Object[]> entries = new ArrayDeque<>();
        private long nextSeq = 1;

        HubQueue(String filter) {
            this.filter = filter;
        }

        /** Queues; returns whether the oldest entry had to be dropped. */
        synchronized boolean add(String topic, byte[] payload) {
            boolean dropped = false;
            if (entries.size() >= settings.queueLimit()) {
                entries.removeFirst();
                dropped = true;
            }
            entries.addLast(new Object[] {nextSeq++, topic, payload.clone()});
            return dropped;
        }

        synchronized void ackUpTo(long seq) {
            while (!entries.isEmpty() && (long) entries.peekFirst()[0] <= seq) {
                entries.removeFirst();
            }
        }

        synchronized byte[] headFrame() {
            Object[] head = entries.peekFirst();
            return head == null ? GatewayFrames.encodeEmpty(epoch)
                    : GatewayFrames.encodeMessage(epoch, (long) head[0], (String) head[1], (byte[]) head[2]);
        }

        synchronized int size() {
            return entries.size();
        }
    }

    /** {@code /d}: uplink of outbox messages. */
    private final class DataResource extends CoapResource {
        DataResource() {
            super("d");
        }

        @Override
        public void handlePOST(CoapExchange exchange) {
            GatewayFrames.Uplink u;
            try {
                u = GatewayFrames.decodeUplink(exchange.getRequestPayload());
            } catch (MeshFrameException e) {
                malformed.incrementAndGet();
                log.warn("mesh border gateway refused a malformed uplink from " + exchange.getSourceSocketAddress()
                        + ": " + e.getMessage());
                exchange.respond(ResponseCode.BAD_REQUEST, e.getMessage());
                return;
            }
            MqttAsyncClient client = mqtt;
            if (client == null || !client.isConnected()) {
                exchange.respond(ResponseCode.SERVICE_UNAVAILABLE, "broker not connected");
                return;
            }
            String topic = KuraDataCodec.dataTopic(settings.account(), settings.clientId(), u.topic());
            byte[] wire = KuraDataCodec.encode(u.id(), u.createdAt(), u.body());
            OneAnswer answer = new OneAnswer(exchange);
            try {
                answer.timeout = timer.schedule(() -> answer.respond(ResponseCode.GATEWAY_TIMEOUT,
                        ("no PUBACK within " + settings.publishTimeoutMs() + " ms").getBytes(StandardCharsets.UTF_8)),
                        settings.publishTimeoutMs(), TimeUnit.MILLISECONDS);
                client.publish(topic, wire, u.qos(), false, null, new IMqttActionListener() {
                    @Override
                    public void onSuccess(IMqttToken token) {
                        published.incrementAndGet();
                        answer.respond(ResponseCode.CHANGED, u.id().getBytes(StandardCharsets.UTF_8));
                    }

                    @Override
                    public void onFailure(IMqttToken token, Throwable e) {
                        answer.respond(ResponseCode.SERVICE_UNAVAILABLE,
                                ("publish failed: " + e.getMessage()).getBytes(StandardCharsets.UTF_8));
                    }
                });
            } catch (MqttException | RejectedExecutionException e) {
                answer.respond(ResponseCode.SERVICE_UNAVAILABLE,
                        ("publish failed: " + e.getMessage()).getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    /**
     * Exactly one answer per exchange: piggy-backed on the ACK when the broker confirms quickly, else
     * an empty ACK first (so the hub stops retransmitting) and a separate confirmable response.
     */
    private static final class OneAnswer {
        private final CoapExchange exchange;
        private boolean done;
        volatile ScheduledFuture<?> later;
        volatile ScheduledFuture<?> timeout;

        OneAnswer(CoapExchange exchange) {
            this.exchange = exchange;
        }

        synchronized void accept() {
            if (!done) {
                exchange.accept();
            }
        }

        void respond(ResponseCode code, byte[] payload) {
            synchronized (this) {
                if (done) {
                    return;
                }
                done = true;
            }
            cancel(later);
            cancel(timeout);
            Response r = new Response(code);
            r.setPayload(payload);
            r.getOptions().setContentFormat(code == ResponseCode.CHANGED ? MediaTypeRegistry.TEXT_PLAIN
                    : MediaTypeRegistry.TEXT_PLAIN);
            exchange.respond(r);
        }

        private static void cancel(ScheduledFuture<?> f) {
            if (f != null) {
                f.cancel(false);
            }
        }
    }

    /** {@code /s?f=FILTER}: observable head of the hub subscription's queue; POST acks; DELETE ends it. */
    private final class SubscriptionResource extends CoapResource {
        SubscriptionResource() {
            super("s");
            setObservable(true);
            setObserveType(CoAP.Type.CON);
        }

        private HubQueue existing(CoapExchange exchange) {
            String f = filterOf(exchange);
            if (!TopicFilters.isFilter(f)) {
                malformed.incrementAndGet();
                exchange.respond(ResponseCode.BAD_REQUEST, "not an application topic filter: '" + f + "'");
                return null;
            }
            return queues.computeIfAbsent(f, k -> {
                HubQueue q = new HubQueue(k);
                subscribe(k);
                return q;
            });
        }

        @Override
        public void handleGET(CoapExchange exchange) {
            HubQueue q = existing(exchange);
            if (q != null) {
                exchange.respond(ResponseCode.CONTENT, q.headFrame(), MediaTypeRegistry.APPLICATION_OCTET_STREAM);
            }
        }

        @Override
        public void handlePOST(CoapExchange exchange) {
            GatewayFrames.Ack ack;
            try {
                ack = GatewayFrames.decodeAck(exchange.getRequestPayload());
            } catch (MeshFrameException e) {
                malformed.incrementAndGet();
                exchange.respond(ResponseCode.BAD_REQUEST, e.getMessage());
                return;
            }
            HubQueue q = existing(exchange);
            if (q == null) {
                return;
            }
            if (ack.epoch() == epoch) {
                q.ackUpTo(ack.seq());
            }
            exchange.respond(ResponseCode.CHANGED, q.headFrame(), MediaTypeRegistry.APPLICATION_OCTET_STREAM);
        }

        @Override
        public void handleDELETE(CoapExchange exchange) {
            String f = filterOf(exchange);
            HubQueue q = f == null ? null : queues.remove(f);
            if (q != null) {
                try {
                    if (mqtt.isConnected()) {
                        mqtt.unsubscribe(prefix() + f);
                    }
                } catch (MqttException e) {
                    log.warn("mesh border gateway cannot unsubscribe " + prefix() + f + ": " + e.getMessage());
                }
            }
            exchange.respond(ResponseCode.DELETED);
        }
    }

    /** Where the hub sends to: the radio, or the CoAP endpoint itself when there is no radio. */
    public InetSocketAddress meshAddress() {
        RadioRelay r = relay;
        return r != null ? r.meshAddress() : coapAddress();
    }

    public InetSocketAddress coapAddress() {
        CoapEndpoint e = endpoint;
        return e == null ? null : e.getAddress();
    }

    /** {@code coaps://host:port} of {@link #meshAddress()}. */
    public String meshUri() {
        InetSocketAddress a = meshAddress();
        return "coaps://" + a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    public RadioRelay radio() {
        return relay;
    }

    public boolean brokerConnected() {
        MqttAsyncClient c = mqtt;
        return c != null && c.isConnected();
    }

    /** Messages published to the broker and confirmed by it. */
    public long published() {
        return published.get();
    }

    /** Requests (and head-end messages) refused as malformed. */
    public long malformed() {
        return malformed.get();
    }

    /** CoAP requests that carried a Block1 option (parts of block-wise uplinks). */
    public long block1Requests() {
        return block1Requests.get();
    }

    /** Largest single CoAP request payload received (one block at most when block-wise works). */
    public long largestRequestPayload() {
        return largestRequest.get();
    }

    /** Head-end messages queued for the hub. */
    public long forwarded() {
        return forwarded.get();
    }

    /** Hub subscriptions the gateway holds. */
    public int subscriptions() {
        return queues.size();
    }

    public GatewaySettings settings() {
        return settings;
    }

    public synchronized void stop() {
        if (!running && server == null) {
            return;
        }
        running = false;
        stopQuietly();
        log.info("mesh border gateway stopped");
    }

    private void stopQuietly() {
        if (timer != null) {
            timer.shutdownNow();
        }
        MqttAsyncClient c = mqtt;
        mqtt = null;
        if (c != null) {
            try {
                if (c.isConnected()) {
                    c.disconnect(0).waitForCompletion(2_000);
                }
            } catch (MqttException e) {
                // going anyway
            }
            try {
                c.close(true);
            } catch (MqttException e) {
                // going anyway
            }
        }
        if (relay != null) {
            relay.close();
            relay = null;
        }
        if (server != null) {
            server.stop();
            server.destroy();
            server = null;
        }
        subscriptions = null;
    }

    @Override
    public void close() {
        stop();
    }
}
