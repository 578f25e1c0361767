package org.modhub.core.internal.outbox;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.HubEvent;
import org.modhub.api.event.Severity;
import org.modhub.api.health.ComponentHealth;
import org.modhub.api.health.HealthContributor;
import org.modhub.api.messaging.OutboundMessage;
import org.modhub.api.messaging.Outbox;
import org.modhub.api.messaging.UndeliverableMessageException;
import org.modhub.api.messaging.OutboxStats;
import org.modhub.api.wan.HeadEndSession;
import org.modhub.core.internal.config.ConfigGuard;
import org.modhub.core.internal.db.HubStore;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The durable outbox and its dispatcher. Messages wait in {@code outbox.db} until the head end
 * confirmed them over whichever {@link HeadEndSession} is connected, most preferred first. WAN
 * bundles may come and go at any time: the dispatcher simply finds no session and waits.
 *
 * <p>Fast path for the most urgent messages ({@link OutboundMessage#PRIORITY_HIGHEST}, e.g. a
 * last-gasp alert): when a session is connected and no other message of that priority is waiting,
 * the message is handed to the session on the caller's thread at once, concurrently with its
 * durable write; the enqueue still returns only after the commit. The row is deleted once both the
 * commit and the head end's confirmation are in; if the publish fails the dispatcher delivers the
 * stored row as usual (at least once; the head end de-duplicates by id). While the fast publish is
 * in flight the dispatcher leaves that row alone.
 */
@Component(service = {Outbox.class, HealthContributor.class}, immediate = true, configurationPid = OutboxService.PID)
@Designate(ocd = OutboxService.Config.class)
public class OutboxService implements Outbox, HealthContributor {
    public static final String PID = "org.modhub.core.outbox";
    static final String SOURCE = "hub-core/outbox";

    @ObjectClassDefinition(name = "modhub outbox", description = "Durable store-and-forward queue towards the head end.")
    public @interface Config {
        @AttributeDefinition(min = "1", max = "10000000", description = "Most messages kept; beyond, the oldest of the least urgent priority are purged.")
        int capacityMessages() default 100_000;

        @AttributeDefinition(min = "1024", max = "1073741824", description = "Most payload bytes kept.")
        long capacityBytes() default 64L * 1024 * 1024;

        @AttributeDefinition(min = "1", max = "1000", description = "Messages published before waiting for their confirmations.")
        int window() default 32;

        @AttributeDefinition(min = "100", max = "600000", description = "How long to wait for a confirmation (ms).")
        int deliveryTimeoutMs() default 30_000;

        @AttributeDefinition(min = "10", max = "600000", description = "First retry delay after a failed delivery (ms).")
        int retryMinMs() default 500;

        @AttributeDefinition(min = "10", max = "3600000", description = "Longest retry delay (ms).")
        int retryMaxMs() default 30_000;

        @AttributeDefinition(description = "Hand the most urgent messages (priority 0) to the connected session "
                + "at once, concurrently with their durable write.")
        boolean urgentFastPath() default true;
    }

    private final Logger log;
    private final OutboxQueue queue;
    private final Config config;
    private final Map<HeadEndSession, Integer> sessions = new ConcurrentHashMap<>();
    private final ReentrantLock signalLock = new ReentrantLock();
    private final Condition signal = signalLock.newCondition();
    private boolean signalled;
    private volatile boolean running = true;
    private volatile String lastFailure = "";
    private final Thread dispatcher;
    /** Priority-0 messages stored and not yet confirmed: the fast path keeps their order. */
    private final Set<String> urgentPending = ConcurrentHashMap.newKeySet();
    /** Priority-0 messages being published by the fast path: the dispatcher leaves them alone. */
    private final Set<String> fastInFlight = ConcurrentHashMap.newKeySet();
    private final Object urgentLock = new Object();
    /** Fast-delivered ids whose rows the dispatcher deletes (never on the session's callback thread). */
    private final java.util.concurrent.ConcurrentLinkedQueue<String> fastDelivered = new java.util.concurrent.ConcurrentLinkedQueue<>();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile EventLog eventLog;

    @Activate
    public OutboxService(@Reference HubStore store, @Reference ConfigGuard guard,
            @Reference(service = LoggerFactory.class) Logger log, Config config, Map<String, Object> properties) {
        guard.check(getClass(), PID, properties);
        if (config.retryMaxMs() < config.retryMinMs()) {
            guard.refuse(PID, "retryMaxMs", config.retryMaxMs() + " is below retryMinMs " + config.retryMinMs());
        }
        this.log = log;
        this.config = config;
        this.queue = new OutboxQueue(store.outbox(), config.capacityMessages(), config.capacityBytes(), this::purged);
        urgentPending.addAll(queue.idsAt(OutboundMessage.PRIORITY_HIGHEST));
        this.dispatcher = new Thread(this::dispatchLoop, "modhub-outbox-dispatcher");
        this.dispatcher.setDaemon(true);
        this.dispatcher.start();
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        running = false;
        wake();
        dispatcher.join(5_000);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addSession(HeadEndSession session, Map<String, Object> properties) {
        sessions.put(session, preference(properties));
        wake();
    }

    void updatedSession(HeadEndSession session, Map<String, Object> properties) {
        sessions.put(session, preference(properties));
        wake();
    }

    void removeSession(HeadEndSession session) {
        sessions.remove(session);
        wake();
    }

    private static int preference(Map<String, Object> properties) {
        Object p = properties.get(HeadEndSession.PREFERENCE);
        if (p instanceof Number n) {
            return n.intValue();
        }
        try {
            return p == null ? 0 : Integer.parseInt(p.toString().trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    @Override
    public void enqueue(OutboundMessage message) {
        if (message.priority() == OutboundMessage.PRIORITY_HIGHEST) {
            enqueueUrgent(message);
            return;
        }
        queue.enqueue(message);
        wake();
    }

    @Override
    public void enqueueAll(List<OutboundMessage> messages) {
        List<String> urgent = markUrgent(messages);
        try {
            queue.enqueueAll(messages);
        } catch (RuntimeException e) {
            urgentPending.removeAll(urgent);
            throw e;
        }
        wake();
    }

    /** Marks the most urgent of {@code messages} as pending; returns those newly marked (to undo on failure). */
    private List<String> markUrgent(List<OutboundMessage> messages) {
        List<String> urgent = new ArrayList<>();
        for (OutboundMessage m : messages) {
            if (m.priority() == OutboundMessage.PRIORITY_HIGHEST && urgentPending.add(m.id())) {
                urgent.add(m.id());
            }
        }
        return urgent;
    }

    @Override
    public java.util.concurrent.CompletionStage<Void> enqueueAllAsync(List<OutboundMessage> messages) {
        List<String> urgent = markUrgent(messages);
        CompletableFuture<Boolean> queued;
        try {
            queued = queue.enqueueAllAsync(messages);
        } catch (RuntimeException e) {
            urgentPending.removeAll(urgent);
            throw e;
        }
        return queued.handle((ok, failure) -> {
            if (failure != null) {
                urgentPending.removeAll(urgent);
                throw failure instanceof RuntimeException r ? r : new java.util.concurrent.CompletionException(failure);
            }
            wake();
            return null;
        });
    }

    @Override
    public Optional<byte[]> state(String namespace, String key) {
        return queue.state(namespace, key);
    }

    @Override
    public java.util.concurrent.CompletionStage<Boolean> compareAndSetState(String namespace, String key,
            byte[] expected, byte[] value) {
        return queue.compareAndSetState(namespace, key, expected, value);
    }

    private void enqueueUrgent(OutboundMessage message) {
        Optional<HeadEndSession> session = Optional.empty();
        synchronized (urgentLock) {
            if (config.urgentFastPath() && urgentPending.isEmpty()) {
                session = bestSession();
                if (session.isPresent()) {
                    fastInFlight.add(message.id());
                }
            }
            urgentPending.add(message.id());
        }
        if (session.isEmpty()) {
            queue.enqueue(message);
            wake();
            return;
        }
        CompletableFuture<Instant> published;
        try {
            published = session.get().publish(message).toCompletableFuture();
        } catch (RuntimeException e) {
            published = CompletableFuture.failedFuture(e);
        }
        // a session that never answers must not keep the row from the dispatcher
        published = published.orTimeout(config.deliveryTimeoutMs(), TimeUnit.MILLISECONDS);
        CompletableFuture<Void> committed = new CompletableFuture<>();
        published.thenCombine(committed, (at, x) -> at).whenComplete((at, failure) -> {
            if (failure == null) {
                fastDelivered.add(message.id()); // the dispatcher deletes the row, then clears the id
            } else {
                fastInFlight.remove(message.id()); // the dispatcher delivers the stored row
            }
            wake();
        });
        try {
            queue.enqueue(message);
        } catch (RuntimeException e) {
            urgentPending.remove(message.id());
            committed.completeExceptionally(e);
            throw e;
        }
        committed.complete(null);
    }

    @Override
    public OutboxStats stats() {
        return queue.stats();
    }

    @Override
    public ComponentHealth health() {
        String failure = lastFailure;
        if (!failure.isEmpty()) {
            return ComponentHealth.degraded(PID, failure);
        }
        return ComponentHealth.up(PID);
    }

    private void purged(long count, long bytes, String reason) {
        String detail = "purged " + count + " oldest messages (" + bytes + " bytes) to stay within " + reason;
        log.warn(detail);
        logEvent("OUTBOX_PURGED", Severity.WARNING, detail);
    }

    private void logEvent(String code, Severity severity, String detail) {
        EventLog events = eventLog;
        if (events != null) {
            try {
                events.log(HubEvent.of(EventKind.EVENT, code, severity, null, SOURCE, detail));
            } catch (RuntimeException e) {
                log.error("cannot log event {}: {}", code, e.getMessage());
            }
        }
    }

    private void wake() {
        signalLock.lock();
        try {
            signalled = true;
            signal.signalAll();
        } finally {
            signalLock.unlock();
        }
    }

    private void await(long millis) {
        signalLock.lock();
        try {
            long nanos = TimeUnit.MILLISECONDS.toNanos(millis);
            while (!signalled && running && nanos > 0) {
                nanos = signal.awaitNanos(nanos);
            }
            signalled = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        } finally {
            signalLock.unlock();
        }
    }

    private Optional<HeadEndSession> bestSession() {
        return sessions.entrySet().stream()
                .filter(e -> e.getKey().isConnected())
                .max(Comparator.comparingInt((Map.Entry<HeadEndSession, Integer> e) -> e.getValue()))
                .map(Map.Entry::getKey);
    }

    /** Deletes the rows of messages the fast path delivered. */
    private void removeFastDelivered() {
        List<String> ids = new ArrayList<>();
        for (String id = fastDelivered.poll(); id != null; id = fastDelivered.poll()) {
            ids.add(id);
        }
        if (ids.isEmpty()) {
            return;
        }
        try {
            queue.deliveredIds(ids);
        } catch (RuntimeException e) {
            log.warn("outbox: could not remove {} fast-delivered messages: {}", ids.size(), e.getMessage());
        }
        for (String id : ids) {
            urgentPending.remove(id);
            fastInFlight.remove(id); // if the delete failed the row is delivered again: at least once
        }
    }

    private void dispatchLoop() {
        long backoff = 0;
        while (running) {
            try {
                removeFastDelivered();
                Optional<HeadEndSession> session = bestSession();
                if (session.isEmpty()) {
                    await(1_000);
                    continue;
                }
                List<String> corrupt = new ArrayList<>();
                List<StoredMessage> batch = queue.peek(config.window(), corrupt);
                if (!fastInFlight.isEmpty()) {
                    int before = batch.size();
                    batch.removeIf(m -> fastInFlight.contains(m.message().id()));
                    if (batch.isEmpty() && before > 0) {
                        await(100); // the fast path wakes us when it is done
                        continue;
                    }
                }
                for (String id : corrupt) {
                    log.error("outbox message {} failed its checksum; moved to quarantine", id);
                    logEvent("OUTBOX_CORRUPT_MESSAGE", Severity.ERROR, "message " + id + " failed its checksum; quarantined");
                }
                if (batch.isEmpty()) {
                    await(1_000);
                    continue;
                }
                int confirmed = deliver(session.get(), batch);
                if (confirmed == batch.size()) {
                    backoff = 0;
                    lastFailure = "";
                } else {
                    // progress resets the backoff; only failures in a row lengthen it
                    backoff = backoff == 0 || confirmed > 0 ? config.retryMinMs()
                            : Math.min(backoff * 2, config.retryMaxMs());
                    await(backoff);
                }
            } catch (RuntimeException e) {
                lastFailure = "dispatch failed: " + e.getMessage();
                log.error("outbox dispatch failed: {}", e.getMessage(), e);
                await(config.retryMaxMs());
            }
        }
    }

    /** Publishes a window of messages in order; returns how many, from the first, were confirmed. */
    private int deliver(HeadEndSession session, List<StoredMessage> batch) {
        List<CompletableFuture<?>> pending = new ArrayList<>(batch.size());
        for (StoredMessage m : batch) {
            CompletableFuture<?> f;
            try {
                f = session.publish(m.message()).toCompletableFuture();
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            pending.add(f);
        }
        List<StoredMessage> confirmed = new ArrayList<>(batch.size());
        int refused = 0;
        long deadline = System.nanoTime() + Duration.ofMillis(config.deliveryTimeoutMs()).toNanos();
        for (int i = 0; i < batch.size(); i++) {
            try {
                pending.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                confirmed.add(batch.get(i));
            } catch (ExecutionException | TimeoutException e) {
                Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                if (cause instanceof UndeliverableMessageException) {
                    // a permanent refusal: keep the message, out of the way of those behind it
                    StoredMessage m = batch.get(i);
                    String reason = "refused for good by " + session.technology() + ": " + cause.getMessage();
                    queue.quarantine(m, reason);
                    urgentPending.remove(m.message().id());
                    log.error("outbox message {} ({}) moved to quarantine: {}", m.message().id(), m.message().topic(), reason);
                    logEvent("OUTBOX_UNDELIVERABLE", Severity.ERROR, "message " + m.message().id() + " on "
                            + m.message().topic() + " quarantined: " + reason);
                    refused++;
                    continue;
                }
                lastFailure = "delivery over " + session.technology() + " failed: " + cause;
                log.debug("delivery of {} over {} failed: {}", batch.get(i).message().id(), session.technology(), cause);
                break; // keep order: retry from the first unconfirmed message
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running = false;
                break;
            }
        }
        queue.delivered(confirmed);
        for (StoredMessage m : confirmed) {
            if (m.message().priority() == OutboundMessage.PRIORITY_HIGHEST) {
                urgentPending.remove(m.message().id());
            }
        }
        return confirmed.size() + refused;
    }
}
