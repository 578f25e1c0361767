package org.modhub.headend.kura.internal;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallbackExtended;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.modhub.api.cloud.CloudMethod;
import org.modhub.api.cloud.CloudRequest;
import org.modhub.api.cloud.CloudRequestException;
import org.modhub.api.cloud.CloudRequestHandler;
import org.modhub.api.cloud.CloudResponse;
import org.modhub.api.cloud.KuraDataCodec;
import org.modhub.api.event.Severity;
import org.modhub.api.health.ComponentHealth;
import org.modhub.api.messaging.MalformedMessageException;
import org.modhub.api.messaging.OutboundMessage;
import org.modhub.api.wan.HeadEndSession;
import org.modhub.headend.kura.internal.SessionHost.Level;
import org.modhub.headend.kura.internal.proto.KuraPayloadProto.KuraPayload;

/**
 * The MQTT session to a Kura-compatible head end, with Eclipse Paho. One connector thread connects
 * while a usable link is there (exponential backoff with jitter between attempts), publishes BIRTH,
 * subscribes to the hub's request namespace and to the application subscriptions, and waits for the
 * connection to drop. Outbox messages are published as {@link KuraDataCodec} describes; their stage
 * completes when the broker acknowledged them (QoS 1/2) or they were written (QoS 0), and fails when
 * the connection drops first, so the outbox keeps and retries them.
 */
final class KuraSession implements HeadEndSession {
    static final String HEALTH_NAME = KuraSessionComponent.PID;
    static final String SOURCE = "headend-kura";
    static final int CONTROL_QOS = 1;
    /** Headroom of Paho's in-flight window over ours: Paho frees a slot only after the ack callback. */
    static final int PAHO_HEADROOM = 16;
    /** The largest MQTT payload Paho sends (mosquitto's default limit is larger). */
    static final int MAX_PAYLOAD = 256 * 1024;

    private final KuraSettings settings;
    private final CloudApps apps;
    private final SessionHost host;
    private final String technology;
    private final String controlPrefix;
    private final Semaphore inflight;
    private final Backoff backoff;
    private final Set<Pending> pending = ConcurrentHashMap.newKeySet();
    private final List<Sub> subscriptions = new CopyOnWriteArrayList<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ExecutorService requestExecutor;
    private final AtomicLong connects = new AtomicLong();
    private final Thread connector;
    private volatile boolean linkUsable;
    private volatile String linkTechnology = "";
    private volatile boolean closed;
    private volatile boolean connected;
    private volatile MqttAsyncClient client;
    private volatile String lastProblem = "not started";
    private volatile long nextAttemptAt;

    KuraSession(KuraSettings settings, CloudApps apps, SessionHost host, String technology) {
        this.settings = settings;
        this.apps = apps;
        this.host = host;
        this.technology = technology;
        this.controlPrefix = "$EDC/" + settings.account() + "/" + settings.clientId() + "/";
        this.inflight = new Semaphore(settings.maxInflight());
        this.backoff = new Backoff(settings.backoffMinMs(), settings.backoffMaxMs());
        ThreadPoolExecutor ex = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(1000),
                r -> daemon(r, "modhub-kura-requests"));
        this.requestExecutor = ex;
        this.connector = daemon(this::connectLoop, "modhub-kura-connector");
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    void start() {
        lastProblem = settings.enabled() ? "waiting for a usable IP WAN link" : "no broker configured";
        if (settings.enabled()) {
            connector.start();
        }
    }

    /** Tells the session whether a link it runs over is usable, and which. */
    void linkChanged(boolean usable, String technologyName) {
        linkTechnology = technologyName == null ? "" : technologyName;
        boolean was = linkUsable;
        linkUsable = usable;
        if (!usable && settings.enabled()) {
            lastProblem = "waiting for a usable IP WAN link";
        }
        if (was != usable) {
            if (usable) {
                backoff.reset(); // a new link: try at once
            }
            signal();
        }
    }

    /** The application ids changed: tell the head end (APPS) and subscribe as needed. */
    void appsChanged() {
        if (connected) {
            publishControl("MQTT/APPS", birthMetrics());
        }
    }

    void close() {
        closed = true;
        signal();
        MqttAsyncClient c = client;
        if (c != null && connected) {
            try {
                IMqttDeliveryToken t = c.publish(controlPrefix + "MQTT/DC",
                        KuraPayloads.encode(Instant.now(), Map.of(), null), CONTROL_QOS, false);
                t.waitForCompletion(2_000);
            } catch (MqttException | RuntimeException e) {
                host.log(Level.DEBUG, "DC message not sent: " + e.getMessage());
            }
        }
        connector.interrupt();
        try {
            connector.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        disconnect(c, true);
        requestExecutor.shutdownNow();
        failAll("session closed");
    }

    // ---- HeadEndSession ----

    @Override
    public String technology() {
        String t = linkTechnology;
        return t.isEmpty() ? technology : t;
    }

    @Override
    public boolean isConnected() {
        MqttAsyncClient c = client;
        return connected && c != null && c.isConnected();
    }

    @Override
    public int maxPayloadSize() {
        return MAX_PAYLOAD - 512; // the KuraPayload wrapping of an outbox message takes < 512 bytes
    }

    @Override
    public CompletionStage<Instant> publish(String topic, byte[] payload, int qos) {
        return publish(new OutboundMessage(java.util.UUID.randomUUID().toString(), topic, OutboundMessage.PRIORITY_NORMAL,
                qos, Instant.now(), payload));
    }

    @Override
    public CompletionStage<Instant> publish(OutboundMessage message) {
        if (!isConnected()) {
            return CompletableFuture.failedFuture(new IllegalStateException("not connected to the head end"));
        }
        byte[] wire = KuraDataCodec.encode(message.id(), message.createdAt(), message.payload());
        if (wire.length > MAX_PAYLOAD) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("payload of " + wire.length
                    + " bytes exceeds the session's " + MAX_PAYLOAD));
        }
        String topic = KuraDataCodec.dataTopic(settings.account(), settings.clientId(), message.topic());
        int qos = Math.min(message.qos(), settings.qos());
        try {
            if (!inflight.tryAcquire(settings.connectTimeoutSeconds(), TimeUnit.SECONDS)) {
                return CompletableFuture.failedFuture(new TimeoutException("no in-flight slot free"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(e);
        }
        Pending p = new Pending();
        pending.add(p);
        MqttAsyncClient c = client;
        try {
            if (c == null) {
                throw new MqttException(MqttException.REASON_CODE_CLIENT_NOT_CONNECTED);
            }
            publishWithRetry(c, topic, wire, qos, p);
        } catch (MqttException | RuntimeException e) {
            p.fail(e);
        }
        return p.future;
    }

    /** Paho may still hold a slot whose ack callback just ran: retry 32202 a few times. */
    private void publishWithRetry(MqttAsyncClient c, String topic, byte[] wire, int qos, Pending p) throws MqttException {
        for (int attempt = 0;; attempt++) {
            try {
                c.publish(topic, wire, qos, false, null, p);
                return;
            } catch (MqttException e) {
                if (e.getReasonCode() != MqttException.REASON_CODE_MAX_INFLIGHT || attempt >= 50) {
                    throw e;
                }
                try {
                    Thread.sleep(2);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    @Override
    public Subscription subscribe(String topicFilter, int qos, InboundListener listener) {
        if (topicFilter == null || topicFilter.isEmpty() || topicFilter.startsWith("/") || topicFilter.startsWith("$")) {
            throw new IllegalArgumentException("not an application topic filter: '" + topicFilter + "'");
        }
        Sub s = new Sub(topicFilter, KuraDataCodec.dataTopic(settings.account(), settings.clientId(), topicFilter),
                Math.max(0, Math.min(2, qos)), listener);
        subscriptions.add(s);
        MqttAsyncClient c = client;
        if (c != null && isConnected()) {
            try {
                // in place at the broker when this returns (while connected)
                c.subscribe(s.wireFilter, s.qos).waitForCompletion(settings.connectTimeoutSeconds() * 1000L);
            } catch (MqttException e) {
                host.log(Level.WARN, "subscribing to " + s.wireFilter + " failed (retried on reconnect): " + e.getMessage());
            }
        }
        return () -> {
            if (subscriptions.remove(s)) {
                MqttAsyncClient cc = client;
                if (cc != null && isConnected() && subscriptions.stream().noneMatch(o -> o.wireFilter.equals(s.wireFilter))) {
                    try {
                        cc.unsubscribe(s.wireFilter);
                    } catch (MqttException e) {
                        host.log(Level.DEBUG, "unsubscribe " + s.wireFilter + ": " + e.getMessage());
                    }
                }
            }
        };
    }

    // ---- health ----

    ComponentHealth health() {
        if (!settings.enabled()) {
            return ComponentHealth.up(HEALTH_NAME); // off by configuration, not degraded
        }
        if (isConnected()) {
            return ComponentHealth.up(HEALTH_NAME);
        }
        long wait = Math.max(0, nextAttemptAt - System.currentTimeMillis());
        return ComponentHealth.degraded(HEALTH_NAME, "not connected to " + settings.brokerUri() + ": " + lastProblem
                + (wait > 0 ? " (next attempt in " + (wait / 1000) + " s)" : ""));
    }

    long connectCount() {
        return connects.get();
    }

    // ---- connection management ----

    private void signal() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits until signalled or {@code millis} pass; returns false if closed or interrupted. */
    private boolean pause(long millis) {
        lock.lock();
        try {
            if (!closed && millis > 0) {
                changed.await(millis, TimeUnit.MILLISECONDS);
            }
            return !closed;
        } catch (InterruptedException e) {
            return false;
        } finally {
            lock.unlock();
        }
    }

    private void connectLoop() {
        while (!closed) {
            if (!linkUsable) {
                if (isConnected()) {
                    host.log(Level.INFO, "no usable IP WAN link: closing the MQTT session");
                    disconnect(client, false);
                }
                lastProblem = "waiting for a usable IP WAN link";
                if (!pause(5_000)) {
                    return;
                }
                continue;
            }
            if (isConnected()) {
                if (!pause(5_000)) {
                    return;
                }
                continue;
            }
            try {
                connectOnce();
                backoff.reset();
                nextAttemptAt = 0;
            } catch (MqttException | GeneralSecurityException | IOException | RuntimeException e) {
                connected = false;
                String why = describe(e);
                long delay = backoff.next();
                nextAttemptAt = System.currentTimeMillis() + delay;
                if (!why.equals(lastProblem)) {
                    host.log(Level.WARN, "cannot connect to " + settings.brokerUri() + ": " + why + "; retrying with backoff");
                } else {
                    host.log(Level.DEBUG, "connect to " + settings.brokerUri() + " failed again: " + why + "; next in " + delay + " ms");
                }
                lastProblem = why;
                disconnect(client, true);
                if (!pause(delay)) {
                    return;
                }
            }
        }
    }

    private static String describe(Throwable e) {
        if (e instanceof MqttException m) {
            Throwable cause = m.getCause();
            return "MQTT " + m.getReasonCode() + " " + m.getMessage() + (cause == null ? "" : " (" + cause + ")");
        }
        return e.toString();
    }

    private void connectOnce() throws MqttException, GeneralSecurityException, IOException {
        MqttAsyncClient c = client;
        if (c == null) {
            c = new MqttAsyncClient(settings.brokerUri(), settings.clientId(), new MemoryPersistence());
            c.setCallback(new Callback());
            client = c;
        }
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(true); // the outbox, not the broker, keeps what is undelivered
        o.setAutomaticReconnect(false); // reconnects are ours: link-aware, with jitter
        o.setKeepAliveInterval(settings.keepAliveSeconds());
        o.setConnectionTimeout(settings.connectTimeoutSeconds());
        o.setMaxInflight(settings.maxInflight() + PAHO_HEADROOM);
        o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        if (!settings.username().isEmpty()) {
            o.setUserName(settings.username());
            o.setPassword(settings.password().toCharArray());
        }
        o.setWill(controlPrefix + "MQTT/LWT", KuraPayloads.encode(Instant.now(), Map.of(), null), CONTROL_QOS, false);
        if (settings.tls()) {
            o.setSocketFactory(sslContext().getSocketFactory());
        }
        IMqttToken t = c.connect(o);
        t.waitForCompletion((settings.connectTimeoutSeconds() + 5) * 1000L);
        if (!c.isConnected()) {
            throw new MqttException(MqttException.REASON_CODE_CLIENT_TIMEOUT);
        }
        // subscriptions first, then BIRTH: requests sent in answer to BIRTH are not missed
        List<String> filters = new ArrayList<>();
        List<Integer> qos = new ArrayList<>();
        filters.add(controlPrefix + "#");
        qos.add(CONTROL_QOS);
        for (Sub s : subscriptions) {
            if (!filters.contains(s.wireFilter)) {
                filters.add(s.wireFilter);
                qos.add(s.qos);
            }
        }
        c.subscribe(filters.toArray(String[]::new), qos.stream().mapToInt(Integer::intValue).toArray())
                .waitForCompletion(settings.connectTimeoutSeconds() * 1000L);
        connected = true;
        connects.incrementAndGet();
        lastProblem = "";
        publishControl("MQTT/BIRTH", birthMetrics());
        host.log(Level.INFO, "connected to " + settings.brokerUri() + " as " + settings.clientId() + " (account "
                + settings.account() + ")");
        host.event("HEADEND_CONNECTED", Severity.INFO, "MQTT session to " + settings.brokerUri() + " up over "
                + technology());
    }

    private SSLContext sslContext() throws GeneralSecurityException, IOException {
        if (settings.useHubIdentity()) {
            org.modhub.api.security.TlsIdentity identity = host.tlsIdentity();
            if (identity == null) {
                throw new GeneralSecurityException("no TLS identity from the hub's PKI agent (yet)");
            }
            KeyStore trust = load(settings.trustStorePath(), settings.trustStorePassword());
            List<java.security.cert.X509Certificate> anchors = new ArrayList<>();
            for (java.util.Enumeration<String> e = trust.aliases(); e.hasMoreElements();) {
                java.security.cert.Certificate c = trust.getCertificate(e.nextElement());
                if (c instanceof java.security.cert.X509Certificate x) {
                    anchors.add(x);
                }
            }
            if (anchors.isEmpty()) {
                throw new GeneralSecurityException("no CA certificate in " + settings.trustStorePath());
            }
            return identity.clientContext(anchors);
        }
        TrustManagerFactory tmf = null;
        if (!settings.trustStorePath().isEmpty()) {
            tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(load(settings.trustStorePath(), settings.trustStorePassword()));
        }
        KeyManagerFactory kmf = null;
        if (!settings.keyStorePath().isEmpty()) {
            KeyStore ks = load(settings.keyStorePath(), settings.keyStorePassword());
            if (!settings.keyAlias().isEmpty()) {
                if (!ks.isKeyEntry(settings.keyAlias())) {
                    throw new GeneralSecurityException("no key '" + settings.keyAlias() + "' in " + settings.keyStorePath());
                }
                // keep only the configured key: copy it into a store of its own
                KeyStore one = KeyStore.getInstance("PKCS12");
                one.load(null, null);
                char[] pw = settings.keyStorePassword().toCharArray();
                one.setEntry(settings.keyAlias(), ks.getEntry(settings.keyAlias(), new KeyStore.PasswordProtection(pw)),
                        new KeyStore.PasswordProtection(pw));
                ks = one;
            }
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, settings.keyStorePassword().toCharArray());
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
        return ctx;
    }

    private static KeyStore load(String path, String password) throws GeneralSecurityException, IOException {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType()); // PKCS12; reads JKS too
        try (InputStream in = Files.newInputStream(Path.of(path))) {
            ks.load(in, password.toCharArray());
        }
        return ks;
    }

    private void disconnect(MqttAsyncClient c, boolean forcibly) {
        boolean was = connected;
        connected = false;
        if (c != null) {
            try {
                if (c.isConnected()) {
                    if (forcibly) {
                        c.disconnectForcibly(0, 1_000);
                    } else {
                        c.disconnect(2_000).waitForCompletion(3_000);
                    }
                }
            } catch (MqttException | RuntimeException e) {
                host.log(Level.DEBUG, "disconnect: " + e.getMessage());
            }
            if (closed) {
                try {
                    c.close(true);
                } catch (MqttException | RuntimeException e) {
                    host.log(Level.DEBUG, "close: " + e.getMessage());
                }
                client = null;
            }
        }
        failAll("MQTT session closed");
        if (was) {
            signal();
        }
    }

    private void failAll(String why) {
        for (Pending p : List.copyOf(pending)) {
            p.fail(new IllegalStateException(why));
        }
    }

    Map<String, Object> birthMetrics() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("uptime", ManagementFactory.getRuntimeMXBean().getUptime());
        m.put("display_name", settings.displayName());
        m.put("model_name", settings.modelName());
        m.put("model_id", "modhub");
        m.put("serial_number", settings.clientId());
        m.put("jvm_name", System.getProperty("java.vm.name", ""));
        m.put("jvm_version", System.getProperty("java.version", ""));
        m.put("os", System.getProperty("os.name", ""));
        m.put("os_version", System.getProperty("os.version", ""));
        m.put("connection_interface", technology());
        m.putAll(host.hubMetrics());
        m.put("application_ids", String.join(",", apps.appIds()));
        m.put("payload_encoding", "KURA_PROTOBUF");
        return m;
    }

    private void publishControl(String suffix, Map<String, Object> metrics) {
        publishRaw(controlPrefix + suffix, KuraPayloads.encode(Instant.now(), metrics, null));
    }

    private void publishRaw(String topic, byte[] payload) {
        MqttAsyncClient c = client;
        if (c == null || !isConnected()) {
            host.log(Level.DEBUG, "not connected: " + topic + " not sent");
            return;
        }
        try {
            c.publish(topic, payload, CONTROL_QOS, false);
        } catch (MqttException e) {
            host.log(Level.WARN, "publish to " + topic + " failed: " + e.getMessage());
        }
    }

    // ---- requests from the head end ----

    void onControlMessage(String topic, byte[] payload) {
        // $EDC/{account}/{client_id}/{app_id}/{method}/{resource...}
        String[] levels = topic.substring(controlPrefix.length()).split("/", -1);
        if (levels.length < 2 || "MQTT".equals(levels[0])) {
            return; // our own BIRTH/DC/APPS/LWT or not a request
        }
        String appId = levels[0];
        Optional<CloudMethod> method = CloudMethod.fromSegment(levels[1]);
        if (method.isEmpty() && ("REPLY".equals(levels[1]) || "NOTIFY".equals(levels[1]))) {
            return; // a reply or notification to us as a requester: nobody here asked
        }
        KuraPayload request;
        Map<String, Object> metrics;
        try {
            request = KuraPayloads.parse(payload, settings.maxRequestBytes());
            metrics = KuraPayloads.metrics(request);
        } catch (MalformedMessageException e) {
            Map<String, String> salvaged = KuraPayloads.salvageStringMetrics(payload, 4096);
            badRequest(topic, appId, salvaged.get(CloudRequest.REQUEST_ID), salvaged.get(CloudRequest.REQUESTER_CLIENT_ID),
                    "malformed request: " + e.getMessage());
            return;
        }
        Object requestId = metrics.get(CloudRequest.REQUEST_ID);
        Object requester = metrics.get(CloudRequest.REQUESTER_CLIENT_ID);
        if (!(requestId instanceof String rid) || !(requester instanceof String who)) {
            badRequest(topic, appId, requestId instanceof String s ? s : null,
                    requester instanceof String s ? s : null, "request lacks the string metrics "
                            + CloudRequest.REQUEST_ID + " and " + CloudRequest.REQUESTER_CLIENT_ID);
            return;
        }
        if (method.isEmpty()) {
            badRequest(topic, appId, rid, who, "unknown method '" + levels[1] + "' (GET, PUT, POST, DEL or EXEC)");
            return;
        }
        Optional<CloudRequestHandler> handler = apps.handler(appId);
        if (handler.isEmpty()) {
            host.event("HEADEND_UNKNOWN_APP", Severity.WARNING, "request " + rid + " from " + who + " for unknown application '"
                    + appId + "' on " + topic);
            reply(appId, rid, who, CloudResponse.error(CloudResponse.NOT_FOUND, "no application '" + appId + "' on this hub"));
            return;
        }
        CloudRequest r = new CloudRequest(appId, method.get(), List.of(Arrays.copyOfRange(levels, 2, levels.length)), rid,
                who, metrics, request.getBody().toByteArray(),
                request.hasTimestamp() ? Optional.of(Instant.ofEpochMilli(request.getTimestamp())) : Optional.empty());
        try {
            requestExecutor.execute(() -> handle(handler.get(), r));
        } catch (RejectedExecutionException e) {
            reply(appId, rid, who, CloudResponse.error(CloudResponse.ERROR, "hub busy: too many requests queued"));
        }
    }

    private void handle(CloudRequestHandler handler, CloudRequest r) {
        CompletableFuture<CloudResponse> f;
        try {
            f = handler.handle(r).toCompletableFuture();
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.orTimeout(settings.requestTimeoutSeconds(), TimeUnit.SECONDS).whenComplete((response, failure) -> {
            CloudResponse out;
            if (failure == null) {
                out = response == null ? CloudResponse.ok() : response;
            } else {
                Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                if (cause instanceof CloudRequestException cre) {
                    out = CloudResponse.error(cre.code(), cre.getMessage());
                    if (cre.code() == CloudResponse.BAD_REQUEST) {
                        host.event("HEADEND_BAD_REQUEST", Severity.WARNING, "request " + r.requestId() + " to "
                                + r.appId() + "/" + r.method() + "/" + r.resourcePath() + " refused: " + cre.getMessage());
                    }
                } else if (cause instanceof TimeoutException) {
                    out = CloudResponse.error(CloudResponse.ERROR, "no answer within " + settings.requestTimeoutSeconds() + " s");
                } else {
                    out = CloudResponse.error(CloudResponse.ERROR, String.valueOf(cause));
                }
            }
            reply(r.appId(), r.requestId(), r.requesterClientId(), out);
        });
    }

    private void badRequest(String topic, String appId, String requestId, String requester, String why) {
        boolean canReply = requestId != null && requester != null;
        host.event("HEADEND_BAD_REQUEST", Severity.WARNING, why + " on " + topic
                + (canReply ? " (answered 400)" : " (no request.id/requester.client.id: not answered)"));
        if (canReply) {
            reply(appId, requestId, requester, CloudResponse.error(CloudResponse.BAD_REQUEST, why));
        }
    }

    private void reply(String appId, String requestId, String requester, CloudResponse response) {
        if (!CloudApps.validAppId(appId) || !level(requestId) || !level(requester)) {
            host.event("HEADEND_BAD_REQUEST", Severity.WARNING, "cannot reply: request id '" + requestId
                    + "' or requester '" + requester + "' is not a topic level");
            return;
        }
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put(CloudResponse.RESPONSE_CODE, response.code());
        if (!response.exceptionMessage().isEmpty()) {
            metrics.put(CloudResponse.EXCEPTION_MESSAGE, response.exceptionMessage());
        }
        response.metrics().forEach(metrics::putIfAbsent);
        byte[] payload;
        try {
            payload = KuraPayloads.encode(Instant.now(), metrics, response.body());
        } catch (IllegalArgumentException e) {
            metrics.clear();
            metrics.put(CloudResponse.RESPONSE_CODE, CloudResponse.ERROR);
            metrics.put(CloudResponse.EXCEPTION_MESSAGE, "reply not encodable: " + e.getMessage());
            payload = KuraPayloads.encode(Instant.now(), metrics, null);
        }
        publishRaw("$EDC/" + settings.account() + "/" + requester + "/" + appId + "/REPLY/" + requestId, payload);
    }

    private static boolean level(String s) {
        return s != null && !s.isEmpty() && !s.contains("/") && !s.contains("+") && !s.contains("#");
    }

    private void onDataMessage(String topic, byte[] payload) {
        String prefix = settings.account() + "/" + settings.clientId() + "/";
        if (!topic.startsWith(prefix)) {
            return;
        }
        String appTopic = topic.substring(prefix.length());
        byte[] body;
        try {
            body = KuraDataCodec.decode(payload).body();
        } catch (MalformedMessageException e) {
            host.event("HEADEND_BAD_MESSAGE", Severity.WARNING, "malformed message on " + topic + ": " + e.getMessage());
            return;
        }
        for (Sub s : subscriptions) {
            if (matches(s.wireFilter, topic)) {
                try {
                    s.listener.received(appTopic, body);
                } catch (RuntimeException e) {
                    host.log(Level.ERROR, "listener of " + s.filter + " failed: " + e);
                }
            }
        }
    }

    /** MQTT topic filter matching ({@code +} one level, {@code #} the rest). */
    static boolean matches(String filter, String topic) {
        return org.modhub.api.wan.TopicFilter.matches(filter, topic);
    }

    private final class Callback implements MqttCallbackExtended {
        @Override
        public void connectComplete(boolean reconnect, String serverURI) {
            // handled by connectOnce
        }

        @Override
        public void connectionLost(Throwable cause) {
            connected = false;
            lastProblem = "connection lost: " + cause;
            host.log(Level.WARN, "MQTT connection to " + settings.brokerUri() + " lost: " + cause);
            host.event("HEADEND_CONNECTION_LOST", Severity.WARNING, "MQTT session to " + settings.brokerUri() + " lost: " + cause);
            failAll("connection lost");
            signal();
        }

        @Override
        public void messageArrived(String topic, MqttMessage message) {
            try {
                if (topic.startsWith(controlPrefix)) {
                    onControlMessage(topic, message.getPayload());
                } else {
                    onDataMessage(topic, message.getPayload());
                }
            } catch (RuntimeException e) {
                // never let an exception reach Paho: it would drop the connection
                host.log(Level.ERROR, "message on " + topic + " not handled: " + e);
            }
        }

        @Override
        public void deliveryComplete(IMqttDeliveryToken token) {
            // completion is reported per publish through Pending
        }
    }

    /** One data publish waiting for its acknowledgement; releases its in-flight slot once. */
    private final class Pending implements IMqttActionListener {
        final CompletableFuture<Instant> future = new CompletableFuture<>();
        private final AtomicBoolean done = new AtomicBoolean();

        @Override
        public void onSuccess(IMqttToken token) {
            if (done.compareAndSet(false, true)) {
                pending.remove(this);
                inflight.release();
                future.complete(Instant.now());
            }
        }

        @Override
        public void onFailure(IMqttToken token, Throwable e) {
            fail(e);
        }

        void fail(Throwable e) {
            if (done.compareAndSet(false, true)) {
                pending.remove(this);
                inflight.release();
                future.completeExceptionally(e);
            }
        }
    }

    private record Sub(String filter, String wireFilter, int qos, InboundListener listener) {
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
