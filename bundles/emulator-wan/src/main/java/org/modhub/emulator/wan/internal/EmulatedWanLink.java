package org.modhub.emulator.wan.internal;

import org.modhub.api.messaging.UndeliverableMessageException;
import org.modhub.api.wan.TopicFilter;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.modhub.api.wan.HeadEndSession;
import org.modhub.api.wan.LinkProperties;
import org.modhub.api.wan.LinkState;
import org.modhub.api.wan.LinkStatus;
import org.modhub.api.wan.WanLink;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.Designate;

/**
 * An emulated WAN link with an emulated head end behind it, like a modem on a pty: the hub talks to it
 * through the real SPI ({@link WanLink} and {@link HeadEndSession}), and the far side is reported as OSGi
 * events.
 *
 * <p>The component registers itself as {@code WanLink} and {@code HeadEndSession} from {@code @Activate}
 * (not through DS) so that a configuration change can update {@value WanLink#STATE} on the same
 * registration: consumers see a service-modified event, not an unregister/register. DS only registers
 * the {@link EventHandler} for {@value #TOPIC_SEND}.
 *
 * <p>Every publish the emulated head end accepts is posted on {@value #TOPIC_RECEIVED} with the
 * properties {@code topic}, {@code payload} (byte[]), {@code qos} and {@code received} (epoch millis). A
 * {@value #TOPIC_SEND} event with {@code topic} and {@code payload} sends a message down to the hub:
 * it is handed to every subscription whose filter matches.
 */
@Component(configurationPid = EmulatedWanLink.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL,
        immediate = true, service = EventHandler.class,
        property = EventConstants.EVENT_TOPIC + "=" + EmulatedWanLink.TOPIC_SEND)
@Designate(ocd = EmulatedWanConfig.class)
public final class EmulatedWanLink implements WanLink, HeadEndSession, EventHandler {
    static final String PID = "org.modhub.emulator.wan";
    static final String TECHNOLOGY_NAME = "emulated";
    /** Topic of the events reporting what the emulated head end received. */
    public static final String TOPIC_RECEIVED = "org/modhub/emulator/headend/RECEIVED";
    /** Topic of the events by which the emulated head end sends a message to the hub. */
    public static final String TOPIC_SEND = "org/modhub/emulator/headend/SEND";
    static final int RING_SIZE = 256;
    /** Service property: the configured latency in ms (Integer). */
    static final String LATENCY_PROPERTY = "emulator.latency.ms";

    /** The OSGi log; unit tests that construct the link directly log to standard error. */
    @Reference(service = LoggerFactory.class, cardinality = ReferenceCardinality.OPTIONAL)
    private Logger log;

    /** What the head end received, newest last. */
    record Received(String topic, byte[] payload, int qos, long receivedMillis) {
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile EventAdmin eventAdmin;

    private final Object lock = new Object();
    private final List<Sub> subscriptions = new CopyOnWriteArrayList<>();
    private final Set<CompletableFuture<Instant>> inFlight = ConcurrentHashMap.newKeySet();
    private final ArrayDeque<Received> ring = new ArrayDeque<>();
    private final AtomicLong publishCount = new AtomicLong();
    private final AtomicLong receivedCount = new AtomicLong();
    private volatile EmulatorSettings settings = EmulatorSettings.DEFAULT;
    private volatile LinkStatus status = LinkStatus.of(LinkState.DOWN, "not started");
    private volatile boolean closed = true;
    private ScheduledThreadPoolExecutor scheduler;
    private ServiceRegistration<?> registration;
    /** Where accepted publishes are reported; the EventAdmin by default, replaceable in unit tests. */
    private BiConsumer<String, Map<String, Object>> eventSink = this::postEvent;

    public EmulatedWanLink() {
    }

    /** For unit tests: events go to {@code eventSink} instead of the EventAdmin. */
    EmulatedWanLink(BiConsumer<String, Map<String, Object>> eventSink) {
        this.eventSink = Objects.requireNonNull(eventSink);
    }

    @Activate
    void activate(EmulatedWanConfig config, BundleContext context) {
        EmulatorSettings s = validated(config);
        start(s);
        Dictionary<String, Object> props = serviceProperties(s);
        registration = context.registerService(new String[] { WanLink.class.getName(), HeadEndSession.class.getName() },
                this, props);
        info("emulated WAN link active: " + s);
    }

    /**
     * Applies a changed configuration to the running link. A malformed update is refused: the link
     * keeps its last valid configuration and an error naming the PID and the field is logged (Felix SCR
     * would keep the component active with the old values anyway when a modified method throws).
     */
    @Modified
    void modified(EmulatedWanConfig config) {
        EmulatorSettings s;
        try {
            s = EmulatorSettings.from(config, PID);
        } catch (IllegalArgumentException e) {
            error(e.getMessage() + "; keeping the previous configuration " + settings, null);
            return;
        }
        update(s);
        ServiceRegistration<?> reg = registration;
        if (reg != null) {
            try {
                reg.setProperties(serviceProperties(s));
            } catch (IllegalStateException e) {
                // unregistered concurrently by deactivate
            }
        }
        info("emulated WAN link reconfigured: " + s);
    }

    @Deactivate
    void deactivate() {
        ServiceRegistration<?> reg = registration;
        registration = null;
        if (reg != null) {
            try {
                reg.unregister();
            } catch (IllegalStateException e) {
                // already gone
            }
        }
        stop();
    }

    private EmulatorSettings validated(EmulatedWanConfig config) {
        try {
            return EmulatorSettings.from(config, PID);
        } catch (IllegalArgumentException e) {
            error(e.getMessage(), null);
            throw e;
        }
    }

    private static Dictionary<String, Object> serviceProperties(EmulatorSettings s) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(WanLink.TECHNOLOGY, TECHNOLOGY_NAME);
        props.put(WanLink.STATE, s.state().name());
        props.put(HeadEndSession.PREFERENCE, s.preference());
        props.put(LATENCY_PROPERTY, s.latencyMs()); // lets tests see that a reconfiguration has been applied
        props.put(Constants.SERVICE_DESCRIPTION, "modhub emulated WAN link and head end");
        return props;
    }

    // ---- life cycle without OSGi (used by the component and the unit tests) ----

    void start(EmulatorSettings s) {
        synchronized (lock) {
            AtomicInteger n = new AtomicInteger();
            ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "modhub-emulator-wan-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            executor.setRemoveOnCancelPolicy(true);
            scheduler = executor;
            settings = s;
            status = LinkStatus.of(s.state(), "configured");
            closed = false;
        }
    }

    void update(EmulatorSettings s) {
        synchronized (lock) {
            LinkState old = settings.state();
            settings = s;
            if (old != s.state()) {
                status = LinkStatus.of(s.state(), "configured " + s.state());
            }
        }
    }

    void stop() {
        ScheduledThreadPoolExecutor executor;
        synchronized (lock) {
            closed = true;
            status = LinkStatus.of(LinkState.DOWN, "emulator stopped");
            executor = scheduler;
            scheduler = null;
        }
        if (executor != null) {
            executor.shutdownNow();
            try {
                executor.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        IllegalStateException gone = new IllegalStateException("emulated WAN link stopped");
        for (CompletableFuture<Instant> f : List.copyOf(inFlight)) {
            f.completeExceptionally(gone);
        }
        inFlight.clear();
        subscriptions.clear();
    }

    EmulatorSettings settings() {
        return settings;
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
        return new LinkProperties(settings.mtu(), 10_000_000L, false, OptionalInt.empty());
    }

    // ---- HeadEndSession ----

    @Override
    public boolean isConnected() {
        return !closed && settings.state().isUsable();
    }

    @Override
    public int maxPayloadSize() {
        return settings.mtu();
    }

    @Override
    public CompletionStage<Instant> publish(String topic, byte[] payload, int qos) {
        CompletableFuture<Instant> result = new CompletableFuture<>();
        if (topic == null || topic.isEmpty() || topic.contains("+") || topic.contains("#")) {
            result.completeExceptionally(new IllegalArgumentException("not a topic: '" + topic + "'"));
            return result;
        }
        if (qos < 0 || qos > 2) {
            result.completeExceptionally(new IllegalArgumentException("qos out of 0..2: " + qos));
            return result;
        }
        byte[] bytes = payload == null ? new byte[0] : payload.clone();
        EmulatorSettings s = settings;
        if (bytes.length > s.mtu()) {
            result.completeExceptionally(new UndeliverableMessageException(
                    "payload of " + bytes.length + " B exceeds the MTU of " + s.mtu() + " B"));
            return result;
        }
        synchronized (lock) {
            if (closed) {
                result.completeExceptionally(new IllegalStateException("emulated WAN link stopped"));
                return result;
            }
            if (!s.state().isUsable()) {
                result.completeExceptionally(new IllegalStateException("emulated WAN link is " + s.state()));
                return result;
            }
            long n = publishCount.incrementAndGet();
            if (s.failEveryNth() > 0 && n % s.failEveryNth() == 0) {
                result.completeExceptionally(
                        new IllegalStateException("emulated head end refused publish #" + n + " (failEveryNth)"));
                return result;
            }
            inFlight.add(result);
            try {
                scheduler.schedule(() -> deliver(result, topic, bytes, qos), s.latencyMs(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                inFlight.remove(result);
                result.completeExceptionally(new IllegalStateException("emulated WAN link stopped", e));
            }
        }
        return result;
    }

    private void deliver(CompletableFuture<Instant> result, String topic, byte[] payload, int qos) {
        try {
            if (result.isDone()) {
                return;
            }
            LinkState state = settings.state();
            if (closed || !state.isUsable()) { // went down while the message was on the wire
                result.completeExceptionally(new IllegalStateException("emulated WAN link is " + state));
                return;
            }
            long now = System.currentTimeMillis();
            synchronized (ring) {
                if (ring.size() == RING_SIZE) {
                    ring.removeFirst();
                }
                ring.addLast(new Received(topic, payload, qos, now));
            }
            receivedCount.incrementAndGet();
            Map<String, Object> props = new HashMap<>();
            props.put("topic", topic);
            props.put("payload", payload.clone());
            props.put("qos", qos);
            props.put("received", now);
            try {
                eventSink.accept(TOPIC_RECEIVED, props);
            } catch (RuntimeException e) {
                warn("could not report a received message", e);
            }
            result.complete(Instant.ofEpochMilli(now));
        } finally {
            inFlight.remove(result);
        }
    }

    private void postEvent(String topic, Map<String, Object> props) {
        EventAdmin ea = eventAdmin;
        if (ea != null) {
            ea.postEvent(new Event(topic, props));
        }
    }

    @Override
    public Subscription subscribe(String topicFilter, int qos, InboundListener listener) {
        if (!TopicFilter.isValid(topicFilter)) {
            throw new IllegalArgumentException("not a topic filter: '" + topicFilter + "'");
        }
        Objects.requireNonNull(listener, "listener");
        Sub sub = new Sub(topicFilter, listener);
        subscriptions.add(sub);
        return sub;
    }

    private final class Sub implements Subscription {
        final String filter;
        final InboundListener listener;

        Sub(String filter, InboundListener listener) {
            this.filter = filter;
            this.listener = listener;
        }

        @Override
        public void close() {
            subscriptions.remove(this);
        }
    }

    // ---- the emulated head end sending down to the hub ----

    @Override
    public void handleEvent(Event event) {
        Object topic = event.getProperty("topic");
        Object payload = event.getProperty("payload");
        if (!(topic instanceof String t)) {
            warn(TOPIC_SEND + " event without a String topic ignored", null);
            return;
        }
        byte[] bytes = payload instanceof byte[] b ? b
                : payload instanceof String str ? str.getBytes(java.nio.charset.StandardCharsets.UTF_8) : new byte[0];
        sendToHub(t, bytes);
    }

    /**
     * Sends a message from the head end to the hub: after the link latency, on the session thread, to
     * every matching subscription. Dropped (returns 0) when the link is not usable, as a broker would hold
     * it for a real session but the emulator does not.
     *
     * @return the number of subscriptions it will be handed to
     */
    int sendToHub(String topic, byte[] payload) {
        List<Sub> matching = new ArrayList<>();
        for (Sub s : subscriptions) {
            if (TopicFilter.matches(s.filter, topic)) {
                matching.add(s);
            }
        }
        synchronized (lock) {
            if (closed || !settings.state().isUsable() || matching.isEmpty()) {
                return 0;
            }
            byte[] bytes = payload.clone();
            try {
                scheduler.schedule(() -> {
                    for (Sub s : matching) {
                        if (!subscriptions.contains(s)) {
                            continue; // closed meanwhile
                        }
                        try {
                            s.listener.received(topic, bytes.clone());
                        } catch (RuntimeException e) {
                            warn("subscription listener for " + s.filter + " failed", e);
                        }
                    }
                }, settings.latencyMs(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                return 0;
            }
        }
        return matching.size();
    }

    /** The last {@value #RING_SIZE} messages the emulated head end received, oldest first. */
    List<Received> lastReceived() {
        synchronized (ring) {
            return List.copyOf(ring);
        }
    }

    long receivedCount() {
        return receivedCount.get();
    }

    private void info(String message) {
        Logger l = log;
        if (l != null) {
            l.info(message);
        } else {
            System.err.println("INFO  [emulator-wan] " + message);
        }
    }

    private void warn(String message, Throwable t) {
        Logger l = log;
        if (l != null) {
            l.warn(message, t);
        } else {
            System.err.println("WARN  [emulator-wan] " + message + (t == null ? "" : ": " + t));
        }
    }

    private void error(String message, Throwable t) {
        Logger l = log;
        if (l != null) {
            l.error(message, t);
        } else {
            System.err.println("ERROR [emulator-wan] " + message + (t == null ? "" : ": " + t));
        }
    }
}
