package org.modhub.core.internal.router;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.HubEvent;
import org.modhub.api.event.Severity;
import org.modhub.api.messaging.CommandRefusedException;
import org.modhub.api.messaging.Envelope;
import org.modhub.api.messaging.EnvelopeCodec;
import org.modhub.api.messaging.MalformedMessageException;
import org.modhub.api.messaging.MessageHandler;
import org.modhub.api.messaging.MessageRouter;
import org.modhub.api.messaging.MessageType;
import org.modhub.api.messaging.OutboundMessage;
import org.modhub.api.messaging.Outbox;
import org.modhub.api.messaging.PreparedAlert;
import org.modhub.api.security.SignedEnvelopeCodec;
import org.modhub.api.security.CommandVerifier;
import org.modhub.api.security.MessageSigner;
import org.modhub.api.security.SecurityCheckException;
import org.modhub.api.store.StateStore;
import org.modhub.api.wan.HeadEndSession;
import org.modhub.core.internal.config.ConfigGuard;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
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
 * The message router between the head-end sessions and the device-facing services. Commands arrive
 * on the command topic of every connected session (or through {@link #dispatch}); the router checks
 * the header before anything else (recipient, date-time window, originator counter strictly
 * increasing and persisted), hands the command to the {@link MessageHandler} registered for its
 * code, and queues the response in the outbox. Refusals are answered on {@code hub/response/error}
 * and logged in the audit log.
 *
 * <p>Security: when a {@link CommandVerifier} is present, every command arriving from a head-end
 * session must be in the signed wire form and pass the verifier <em>before any further
 * processing</em> (the verifier then owns the header, counter and signature checks, and writes its
 * own security event); a refusal is answered with a security alert to the head end (rate-limited).
 * Critical message codes ({@code criticalCodes}: supply, firmware activation, credentials, tariffs,
 * credit) are never run from an unsigned command: with no verifier, or through {@link #dispatch}
 * (which takes an already-decoded, unsigned envelope), they are refused, audited and alerted. When a
 * {@link MessageSigner} is present, responses and the hub's own alerts leave signed.
 *
 * <p>Pipeline: commands from the sessions are processed concurrently by a small worker pool
 * ({@code commandWorkers}), order per originator kept (commands are spread over lanes by originator,
 * each command takes a ticket in arrival order). The verifier's {@link CommandVerifier#check}
 * (signature, certificate, role, window, ranges: no state) runs for many commands at once; its
 * {@link CommandVerifier#accept} (originator counter reserved) runs in arrival order per lane; once
 * that counter is durable (concurrent commands share the commits) a worker hands the command to its
 * handler (again in arrival order per lane; the lane's next handler may start as soon as this one
 * returned), signs the response and queues it in the outbox without waiting
 * ({@link Outbox#enqueueAllAsync}: it shares the commit that carries the counters of the commands
 * admitted meanwhile). No worker waits for a commit; the workers take admitted commands' stages
 * before new commands' checks, so the commands in flight finish first. Only a handler that answers
 * later (its stage not yet complete) has its response signed and queued by the responder pool
 * ({@code responseWorkers}).
 * At most {@code maxCommandsInFlight} commands are in the pipeline; beyond, the session thread waits
 * (back-pressure onto the WAN).
 */
@Component(service = MessageRouter.class, immediate = true, configurationPid = HubMessageRouter.PID)
@Designate(ocd = HubMessageRouter.Config.class)
public class HubMessageRouter implements MessageRouter {
    public static final String PID = "org.modhub.core.router";
    public static final String ERROR_TOPIC = RESPONSE_TOPIC + "/error";
    static final String COUNTERS = "org.modhub.core.router.counters";
    static final String SOURCE = "hub-core/router";

    @ObjectClassDefinition(name = "modhub message router", description = "Routes head-end commands to handlers.")
    public @interface Config {
        @AttributeDefinition(description = "The hub's entity id (EUI-64). Empty: framework property modhub.hub.id.")
        String hubId() default "";

        @AttributeDefinition(description = "Application topic on which commands arrive.")
        String commandTopic() default "hub/command";

        @AttributeDefinition(min = "1", max = "604800", description = "Largest accepted difference between a command's date-time and the hub clock (s).")
        int validitySeconds() default 86_400;

        @AttributeDefinition(description = "Message codes that only a signed, verified command may carry "
                + "(supply enable/disable, firmware activation, credentials, tariffs, credit).")
        String[] criticalCodes() default {"0x0101", "0x0102", "0x0201", "0x0301", "0x0302", "0x0303", "0x0F01",
            "0x0F02", "0x0F03", "0x0F04", "0x0F05", "0x0F06"};

        @AttributeDefinition(min = "0", max = "65535", description = "Message code of the alert sent to the head end "
                + "when a command is refused for security reasons.")
        int securityAlertCode() default 0x8F1C;

        @AttributeDefinition(min = "1", description = "At most this many security alerts per minute (refusals beyond "
                + "it are still audited).")
        int securityAlertsPerMinute() default 60;

        @AttributeDefinition(min = "1", max = "16", description = "Threads that verify commands, run handlers and "
                + "sign and queue responses; they wait for durable commits, so more than the cores pays (order per "
                + "originator is kept whatever the number).")
        int commandWorkers() default 2;

        @AttributeDefinition(min = "1", max = "16", description = "Threads that sign and queue the responses of "
                + "handlers that answer later (their stage not complete when the handler returns).")
        int responseWorkers() default 8;

        @AttributeDefinition(min = "1", max = "100000", description = "Most commands in the pipeline at once; beyond, "
                + "the session's thread waits.")
        int maxCommandsInFlight() default 256;
    }

    /** Lanes commands are spread over by originator: order is kept within a lane. */
    private static final int LANES = 64;

    private final Logger log;
    private final Outbox outbox;
    private final StateStore state;
    private final EventLog events;
    private final Eui64 hubId;
    private final String commandTopic;
    private final Duration validity;
    private final HubCounter counter;
    private final Set<Integer> criticalCodes;
    private final int securityAlertCode;
    private final int securityAlertsPerMinute;
    private long alertWindowStart;
    private int alertsInWindow;
    private volatile CommandVerifier verifier;
    private volatile MessageSigner signer;
    private final List<HandlerEntry> handlers = new CopyOnWriteArrayList<>();
    private final Map<HeadEndSession, HeadEndSession.Subscription> subscriptions = new ConcurrentHashMap<>();
    private final ThreadPoolExecutor workers;
    /** New commands' checks on the workers, in arrival order, after every admitted command's stage. */
    private final java.util.concurrent.Executor checkStage;
    /** Admitted commands' handler stages on the workers: before any new command's check, oldest first. */
    private final java.util.concurrent.Executor handlerStage;
    private final ThreadPoolExecutor responders;
    private final Semaphore inFlight;
    private final int maxInFlight;
    private final Lane[] lanes = new Lane[LANES];

    @Activate
    public HubMessageRouter(@Reference Outbox outbox, @Reference StateStore state, @Reference EventLog events,
            @Reference ConfigGuard guard, @Reference(service = LoggerFactory.class) Logger log, BundleContext context,
            Config config, Map<String, Object> properties) {
        guard.check(getClass(), PID, properties);
        String id = config.hubId().isBlank() ? context.getProperty("modhub.hub.id") : config.hubId();
        if (id == null || id.isBlank()) {
            id = "00-00-00-00-00-00-00-01";
            log.warn("no hub id configured ({} hubId or framework property modhub.hub.id); using {}", PID, id);
        }
        Eui64 parsed = null;
        try {
            parsed = Eui64.parse(id);
        } catch (IllegalArgumentException e) {
            guard.refuse(PID, "hubId", e.getMessage());
        }
        if (config.commandTopic().isBlank() || config.commandTopic().contains("#")) {
            guard.refuse(PID, "commandTopic", "'" + config.commandTopic() + "' is not an application topic");
        }
        Set<Integer> critical = new TreeSet<>();
        for (String c : config.criticalCodes()) {
            try {
                int code = Integer.decode(c.trim());
                if (code < 0 || code > 0xFFFF) {
                    throw new NumberFormatException();
                }
                critical.add(code);
            } catch (NumberFormatException | NullPointerException e) {
                guard.refuse(PID, "criticalCodes", "'" + c + "' is not a message code 0..0xFFFF");
            }
        }
        if (config.securityAlertCode() < 0 || config.securityAlertCode() > 0xFFFF) {
            guard.refuse(PID, "securityAlertCode", config.securityAlertCode() + " is not a message code 0..0xFFFF");
        }
        if (config.securityAlertsPerMinute() < 1) {
            guard.refuse(PID, "securityAlertsPerMinute", config.securityAlertsPerMinute() + " is below 1");
        }
        if (config.commandWorkers() < 1 || config.commandWorkers() > 16) {
            guard.refuse(PID, "commandWorkers", config.commandWorkers() + " is not in 1..16");
        }
        if (config.responseWorkers() < 1 || config.responseWorkers() > 16) {
            guard.refuse(PID, "responseWorkers", config.responseWorkers() + " is not in 1..16");
        }
        if (config.maxCommandsInFlight() < 1 || config.maxCommandsInFlight() > 100_000) {
            guard.refuse(PID, "maxCommandsInFlight", config.maxCommandsInFlight() + " is not in 1..100000");
        }
        this.criticalCodes = Set.copyOf(critical);
        this.securityAlertCode = config.securityAlertCode();
        this.securityAlertsPerMinute = config.securityAlertsPerMinute();
        this.hubId = parsed;
        this.log = log;
        this.outbox = outbox;
        this.state = state;
        this.events = events;
        this.commandTopic = config.commandTopic();
        this.validity = Duration.ofSeconds(config.validitySeconds());
        this.counter = new HubCounter(state);
        // threads start on the first command, and end after a minute idle
        this.workers = stagePool(config.commandWorkers(), "modhub-router-worker-");
        this.checkStage = r -> workers.execute(new Staged(r, false));
        this.handlerStage = r -> workers.execute(new Staged(r, true));
        this.responders = pool(config.responseWorkers(), "modhub-router-responder-");
        this.maxInFlight = config.maxCommandsInFlight();
        this.inFlight = new Semaphore(maxInFlight);
        for (int i = 0; i < LANES; i++) {
            lanes[i] = new Lane();
        }
    }

    private static ThreadPoolExecutor pool(int threads, String name) {
        return pool(threads, name, new LinkedBlockingQueue<>());
    }

    /** {@code threads} daemon threads named {@code name}1, 2, ..., started on demand, ended after a minute idle. */
    private static ThreadPoolExecutor pool(int threads, String name, java.util.concurrent.BlockingQueue<Runnable> queue) {
        AtomicInteger n = new AtomicInteger();
        ThreadFactory factory = r -> {
            Thread t = new Thread(r, name + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        ThreadPoolExecutor p = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, queue, factory);
        p.allowCoreThreadTimeOut(true);
        return p;
    }

    /**
     * The workers' pool: its queue hands out the stages of commands already admitted (handler and
     * response) before the checks of commands that arrived since, so that the commands in flight
     * finish first (their responses free the head end's window) and a lane's handler chain never
     * waits behind a queue of new commands' signature checks; within each kind, oldest first.
     */
    private static ThreadPoolExecutor stagePool(int threads, String name) {
        return pool(threads, name, new java.util.concurrent.PriorityBlockingQueue<>());
    }

    /** A task for the workers' queue, ranked by kind, then by submission order. */
    private static final class Staged implements Runnable, Comparable<Staged> {
        private static final java.util.concurrent.atomic.AtomicLong SEQUENCE = new java.util.concurrent.atomic.AtomicLong();
        final Runnable task;
        final boolean admitted;
        final long seq = SEQUENCE.getAndIncrement();

        Staged(Runnable task, boolean admitted) {
            this.task = task;
            this.admitted = admitted;
        }

        @Override
        public void run() {
            task.run();
        }

        @Override
        public int compareTo(Staged o) {
            if (admitted != o.admitted) {
                return admitted ? -1 : 1;
            }
            return Long.compare(seq, o.seq);
        }
    }

    /** Does not wait for the pools: commands in flight finish (or fail) on their own. */
    @Deactivate
    public void deactivate() {
        subscriptions.values().forEach(HeadEndSession.Subscription::close);
        subscriptions.clear();
        workers.shutdown();
        responders.shutdown();
    }

    /**
     * Waits until no command from a session is in the pipeline, for tests and benchmarks.
     *
     * @return whether the pipeline became idle within the timeout
     */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (inFlight.availablePermits() < maxInFlight) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    public void addHandler(MessageHandler handler, Map<String, Object> properties) {
        handlers.add(new HandlerEntry(handler, codes(properties.get(MessageHandler.MESSAGE_CODES)), ranking(properties)));
    }

    void removeHandler(MessageHandler handler) {
        handlers.removeIf(h -> h.handler == handler);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    public void setVerifier(CommandVerifier v) {
        verifier = v;
        log.info("commands are verified by {}", v.getClass().getName());
    }

    public void unsetVerifier(CommandVerifier v) {
        if (verifier == v) {
            verifier = null;
            log.warn("no command verifier: critical message codes {} are refused until one returns", criticalCodes);
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    public void setSigner(MessageSigner s) {
        signer = s;
    }

    public void unsetSigner(MessageSigner s) {
        if (signer == s) {
            signer = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    public void addSession(HeadEndSession session) {
        try {
            subscriptions.put(session, session.subscribe(commandTopic, 1, this::received));
        } catch (RuntimeException e) {
            log.warn("cannot subscribe to {} over {}: {}", commandTopic, session.technology(), e.getMessage());
        }
    }

    void removeSession(HeadEndSession session) {
        HeadEndSession.Subscription s = subscriptions.remove(session);
        if (s != null) {
            try {
                s.close();
            } catch (RuntimeException ignored) {
                // the session is going away
            }
        }
    }

    private static int[] codes(Object value) {
        if (value == null) {
            return new int[0];
        }
        if (value instanceof Integer i) {
            return new int[] {i};
        }
        if (value instanceof int[] a) {
            return a.clone();
        }
        if (value instanceof Integer[] a) {
            int[] out = new int[a.length];
            for (int i = 0; i < a.length; i++) {
                out[i] = a[i];
            }
            return out;
        }
        if (value instanceof String[] a) {
            int[] out = new int[a.length];
            for (int i = 0; i < a.length; i++) {
                out[i] = Integer.decode(a[i].trim());
            }
            return out;
        }
        return new int[] {Integer.decode(value.toString().trim())};
    }

    private static int ranking(Map<String, Object> properties) {
        return properties.get(Constants.SERVICE_RANKING) instanceof Integer r ? r : 0;
    }

    /**
     * Order within a lane: the tail of its handler chain (without a verifier, and with one), and
     * with a verifier tickets in arrival order and the accept steps waiting for their turn.
     */
    private static final class Lane {
        CompletableFuture<Void> handled = CompletableFuture.completedFuture(null);
        CompletableFuture<Void> verifiedTail = CompletableFuture.completedFuture(null);
        long issued;
        long acceptTurn;
        /** Accept steps whose turn has not come, by ticket; one thread at a time runs them in order. */
        final Map<Long, Runnable> waitingSteps = new java.util.HashMap<>();
        boolean running;

        /**
         * Runs {@code step} once every ticket before it ran its own (or passed): on this thread when
         * its turn has come, else later on the thread whose step made it come. No thread waits.
         */
        void inTurn(long ticket, Runnable step) {
            synchronized (this) {
                waitingSteps.put(ticket, step);
                if (running) {
                    return;
                }
                running = true;
            }
            while (true) {
                Runnable next;
                synchronized (this) {
                    next = waitingSteps.remove(acceptTurn);
                    if (next == null) {
                        running = false;
                        return;
                    }
                    acceptTurn++;
                }
                try {
                    next.run();
                } catch (RuntimeException e) {
                    // a step handles its own failures; this one must not stop the lane
                }
            }
        }
    }

    private Lane lane(byte[] bytes) {
        Eui64 originator = originatorOf(bytes);
        return lanes[originator == null ? 0 : Math.floorMod(Long.hashCode(originator.value()), LANES)];
    }

    /** A command from a session, on the session's thread: into the pipeline. */
    private void received(String topic, byte[] bytes) {
        inFlight.acquireUninterruptibly();
        try {
            CommandVerifier v = verifier;
            if (v != null) {
                Lane lane = lane(bytes);
                // the ticket and the queue position are taken together: a worker waiting for its
                // lane's turn only ever waits for commands that were dequeued before its own
                synchronized (lane) {
                    long ticket = lane.issued;
                    checkStage.execute(() -> pipeline(v, lane, ticket, bytes));
                    lane.issued++;
                }
                return;
            }
            unsigned(topic, bytes).whenComplete((r, e) -> inFlight.release());
        } catch (RejectedExecutionException e) {
            inFlight.release();
            log.warn("command dropped: the router is stopping");
        } catch (RuntimeException e) {
            inFlight.release();
            throw e;
        }
    }

    /** Without a verifier: decoded, checked and dispatched in the originator's lane, one at a time. */
    private CompletableFuture<?> unsigned(String topic, byte[] bytes) {
        Lane lane = lane(bytes);
        synchronized (lane) {
            CompletableFuture<Void> next = lane.handled.thenRunAsync(() -> {
                Envelope command;
                try {
                    command = EnvelopeCodec.decode(bytes);
                } catch (MalformedMessageException e) {
                    audit("MALFORMED_COMMAND", Severity.WARNING, null, "on " + topic + ": " + e.getMessage());
                    return;
                }
                try {
                    dispatch(command);
                } catch (RuntimeException e) {
                    log.error("command {} failed", command, e);
                }
            }, checkStage);
            lane.handled = next.handle((r, e) -> null);
            return next;
        }
    }

    /**
     * With a verifier, on a worker: check (signature, certificate, role, window, ranges), then the
     * accept step in the lane's arrival order ({@link Lane#inTurn}: run here, or by the worker whose
     * step made its turn come, so no worker waits for another). The handler runs on a worker, in
     * arrival order, once the verifier stored the counter durably; that worker signs the response and
     * queues it in the outbox without waiting. No thread waits for a commit: all commands in flight
     * share the outbox's commits (the verifier's counters and the responses).
     */
    private void pipeline(CommandVerifier v, Lane lane, long ticket, byte[] bytes) {
        CommandVerifier.Checked checked = null;
        Throwable refusal = null;
        boolean turnTaken = false;
        try {
            try {
                checked = v.check(bytes);
            } catch (SecurityCheckException | RuntimeException e) {
                refusal = e;
            }
            if (checked == null) {
                turnTaken = true;
                lane.inTurn(ticket, () -> { }); // its turn passes; the refusal is alerted here, off the lane
                refused(bytes, refusal);
                return;
            }
            CommandVerifier.Checked passed = checked;
            turnTaken = true;
            lane.inTurn(ticket, () -> accept(v, lane, bytes, passed));
        } finally {
            if (!turnTaken) { // whatever the verifier threw: the lane's later commands must not wait for this one
                lane.inTurn(ticket, () -> { });
                inFlight.release();
            }
        }
    }

    /**
     * The accept step of a command, in its lane's arrival order: reserves the counter and links the
     * command into the lane's handler chain, so that its handler runs (on a worker, in arrival order)
     * only once its counter is durable; then the response is signed on that worker.
     */
    private void accept(CommandVerifier v, Lane lane, byte[] bytes, CommandVerifier.Checked checked) {
        CompletableFuture<Envelope> stored;
        CompletableFuture<CompletionStage<Envelope>> invoked;
        try {
            // reserved at once: the next command of the lane is judged against it
            stored = v.accept(checked).toCompletableFuture();
            // the lane's next handler may start as soon as this one returned: on another worker, while
            // this one signs the response
            CompletableFuture<Void> turnDone = new CompletableFuture<>();
            invoked = lane.verifiedTail.thenCombineAsync(stored, (x, command) -> {
                try {
                    return invoke(command);
                } finally {
                    turnDone.complete(null);
                }
            }, handlerStage);
            invoked.whenComplete((r, e) -> turnDone.complete(null)); // never invoked: the lane goes on
            lane.verifiedTail = turnDone;
        } catch (RuntimeException e) {
            offWorker(() -> refused(bytes, e));
            return;
        }
        CompletableFuture<Envelope> command = stored;
        invoked.whenComplete((stage, failure) -> {
            if (failure != null) { // never invoked: the counter was not stored, or the router is stopping
                Throwable cause = unwrap(command.isCompletedExceptionally() ? command.handle((c, f) -> f).join() : failure);
                if (cause instanceof RejectedExecutionException) {
                    inFlight.release();
                    log.warn("command dropped: the router is stopping");
                    return;
                }
                offWorker(() -> refused(bytes, cause)); // not on the verifier's writer thread
                return;
            }
            Envelope verified = command.join();
            CompletableFuture<Envelope> handled = stage.toCompletableFuture();
            if (handled.isDone()) {
                answer(verified, handled); // the usual case: on the worker that ran the handler
            } else {
                handled.handleAsync((r, e) -> {
                    answer(verified, handled);
                    return Boolean.TRUE;
                }, responders).exceptionally(e -> { // the responder pool is stopping
                    inFlight.release();
                    log.warn("response to {} dropped: the router is stopping", verified);
                    return null;
                });
            }
        });
    }

    /** Runs a refusal's alert on the responder pool (or here when it is stopping). */
    private void offWorker(Runnable task) {
        try {
            responders.execute(task);
        } catch (RejectedExecutionException e) {
            task.run();
        }
    }

    /** A command the verifier refused: alerted, its place in the pipeline freed. */
    private void refused(byte[] bytes, Throwable refusal) {
        try {
            refusedByVerifier(bytes, refusal != null ? refusal
                    : new IllegalStateException("the verifier refused without a reason"));
        } catch (RuntimeException e) {
            log.error("cannot alert a refused command", e);
        } finally {
            inFlight.release();
        }
    }

    /** Signs the handler's response (or refusal) and queues it in the outbox without waiting. */
    private void answer(Envelope command, CompletableFuture<Envelope> handled) {
        OutboundMessage out = null;
        try {
            Envelope response = null;
            Throwable failure = null;
            try {
                response = handled.join();
            } catch (CompletionException | java.util.concurrent.CancellationException e) {
                failure = e;
            }
            out = response(command, response, failure);
        } catch (RuntimeException e) {
            log.error("response to {} failed", command, e);
        }
        if (out == null) {
            inFlight.release();
            return;
        }
        // queued without waiting: the outbox commits it with the counters and responses queued
        // meanwhile (one fsync for all), and its place in the pipeline is freed once it is durable
        OutboundMessage message = out;
        CompletionStage<Void> queued;
        try {
            queued = outbox.enqueueAllAsync(List.of(message));
        } catch (RuntimeException e) {
            log.error("cannot queue response {}", message.id(), e);
            inFlight.release();
            return;
        }
        queued.whenComplete((ok, failure) -> {
            if (failure == null) {
                inFlight.release();
                return;
            }
            // the shared commit failed: this message alone, again, off the outbox's writer thread
            offWorker(() -> {
                try {
                    outbox.enqueue(message);
                } catch (RuntimeException x) {
                    log.error("cannot queue response {}", message.id(), x);
                } finally {
                    inFlight.release();
                }
            });
        });
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    private void refusedByVerifier(byte[] bytes, Throwable failure) {
        if (failure instanceof SecurityCheckException e) {
            securityAlert(originatorOf(bytes), e.getMessage());
            return;
        }
        log.error("command verifier failed; command refused", failure);
        audit("COMMAND_REFUSED", Severity.ERROR, originatorOf(bytes), "verifier failed: " + failure);
        securityAlert(originatorOf(bytes), "verifier failed");
    }

    /** The originator field of bytes that may not decode, for alerts. */
    private static Eui64 originatorOf(byte[] bytes) {
        return bytes != null && bytes.length >= 18 ? Eui64.of(ByteBuffer.wrap(bytes, 10, 8).getLong()) : null;
    }

    /**
     * Dispatches an unsigned, already-decoded command: the router checks its header itself, and
     * refuses critical codes (only a verified signed command may carry them).
     */
    @Override
    public CompletionStage<Envelope> dispatch(Envelope command) {
        if (criticalCodes.contains(command.messageCode())) {
            String reason = String.format("message code 0x%04X is critical: only a signed command verified by the "
                    + "security service may carry it%s", command.messageCode(),
                    verifier == null ? " (no command verifier is present)" : "");
            securityAlert(command.originator(), reason);
            return CompletableFuture.completedFuture(refuse(command, reason));
        }
        try {
            check(command);
        } catch (CommandRefusedException e) {
            return CompletableFuture.completedFuture(refuse(command, e.getMessage()));
        }
        return handle(command);
    }

    /** Hands a checked command to its handler and queues the response. */
    private CompletionStage<Envelope> handle(Envelope command) {
        return invoke(command).handle((response, failure) -> respond(command, response, failure));
    }

    /** Runs the handler of the command's code; a missing handler is a refusal. */
    private CompletionStage<Envelope> invoke(Envelope command) {
        Optional<HandlerEntry> handler = handlers.stream().filter(h -> h.serves(command.messageCode()))
                .max(Comparator.comparingInt(h -> h.ranking));
        if (handler.isEmpty()) {
            return CompletableFuture.failedFuture(new CommandRefusedException(command.messageCode(),
                    String.format("no handler for message code 0x%04X", command.messageCode())));
        }
        try {
            CompletionStage<Envelope> handled = handler.get().handler.handle(command);
            return handled == null ? CompletableFuture.completedFuture(null) : handled;
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Queues the response (signed when a signer is present), or the refusal if the handler failed. */
    private Envelope respond(Envelope command, Envelope response, Throwable failure) {
        if (failure != null) {
            return refuse(command, refusalReason(command, failure));
        }
        if (response == null) {
            return null;
        }
        Envelope out = responseTo(command, response);
        outbox.enqueue(new OutboundMessage(out.messageId(), RESPONSE_TOPIC, 1, 1, out.dateTime(), wire(out)));
        return out;
    }

    /** The signed response (or refusal, audited) as a message for the outbox; null if there is none. */
    private OutboundMessage response(Envelope command, Envelope response, Throwable failure) {
        if (failure != null) {
            Envelope error = refusal(command, refusalReason(command, failure));
            return new OutboundMessage(error.messageId(), ERROR_TOPIC, 1, 1, error.dateTime(), wire(error));
        }
        if (response == null) {
            return null;
        }
        Envelope out = responseTo(command, response);
        return new OutboundMessage(out.messageId(), RESPONSE_TOPIC, 1, 1, out.dateTime(), wire(out));
    }

    private Envelope responseTo(Envelope command, Envelope response) {
        return new Envelope(response.messageId(), MessageType.RESPONSE, hubId, command.originatorCounter(),
                command.originator(), response.dateTime(), command.messageCode(), response.payload());
    }

    private String refusalReason(Envelope command, Throwable failure) {
        Throwable cause = unwrap(failure);
        if (!(cause instanceof CommandRefusedException)) {
            log.error("handler for {} failed", command, cause);
            return "handler failed: " + cause.getClass().getSimpleName();
        }
        return cause.getMessage();
    }

    /** The wire form of one of the hub's messages: signed when a signer is present and it is the hub's own. */
    private byte[] wire(Envelope message) {
        MessageSigner s = signer;
        if (s != null && message.originator().equals(hubId)) {
            try {
                return s.sign(message);
            } catch (RuntimeException e) {
                log.error("signing {} failed; sent unsigned", message, e);
            }
        }
        return EnvelopeCodec.encode(message);
    }

    /**
     * Tells the head end that a command was refused for a security reason: an alert from the hub
     * (code {@code securityAlertCode}, payload the reason in UTF-8) to the command's originator, at
     * most {@code securityAlertsPerMinute} a minute so that a flood of forged commands cannot turn
     * the hub into an amplifier.
     */
    private void securityAlert(Eui64 originator, String reason) {
        synchronized (this) {
            long now = System.nanoTime();
            if (now - alertWindowStart > 60_000_000_000L) {
                alertWindowStart = now;
                alertsInWindow = 0;
            }
            if (++alertsInWindow > securityAlertsPerMinute) {
                return;
            }
        }
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        Envelope alert = new Envelope(UUID.randomUUID().toString(), MessageType.ALERT, hubId, 0,
                originator == null ? Eui64.of(0) : originator, Instant.now(), securityAlertCode,
                text.length > 512 ? java.util.Arrays.copyOf(text, 512) : text);
        try {
            alert(alert, OutboundMessage.PRIORITY_HIGHEST);
        } catch (RuntimeException e) {
            log.error("cannot queue security alert", e);
        }
    }

    /** Header checks that come before any handler sees the command. */
    private void check(Envelope command) throws CommandRefusedException {
        int code = command.messageCode();
        if (command.type() != MessageType.COMMAND) {
            throw new CommandRefusedException(code, "not a command: " + command.type());
        }
        if (!command.recipient().equals(hubId)) {
            throw new CommandRefusedException(code, "recipient " + command.recipient() + " is not this hub " + hubId);
        }
        Duration skew = Duration.between(Instant.now(), command.dateTime()).abs();
        if (skew.compareTo(validity) > 0) {
            throw new CommandRefusedException(code, "date-time " + command.dateTime() + " outside the validity window of "
                    + validity.toSeconds() + " s");
        }
        String key = command.originator().toHex();
        byte[] next = ByteBuffer.allocate(8).putLong(command.originatorCounter()).array();
        for (int attempt = 0; attempt < 3; attempt++) {
            Optional<byte[]> last = state.get(COUNTERS, key);
            if (last.isPresent() && ByteBuffer.wrap(last.get()).getLong() >= command.originatorCounter()) {
                throw new CommandRefusedException(code, "originator counter " + command.originatorCounter()
                        + " is not above the last accepted " + ByteBuffer.wrap(last.get()).getLong() + " (replay)");
            }
            if (state.compareAndSet(COUNTERS, key, last.orElse(null), next)) {
                return;
            }
        }
        throw new CommandRefusedException(code, "originator counter raced");
    }

    private Envelope refuse(Envelope command, String reason) {
        Envelope error = refusal(command, reason);
        outbox.enqueue(new OutboundMessage(error.messageId(), ERROR_TOPIC, 1, 1, error.dateTime(), wire(error)));
        return error;
    }

    /** The error response to a refused command, audited. */
    private Envelope refusal(Envelope command, String reason) {
        audit("COMMAND_REFUSED", Severity.WARNING, command.originator(),
                String.format("%s code 0x%04X: %s", command.messageId(), command.messageCode(), reason));
        return new Envelope(UUID.randomUUID().toString(), MessageType.RESPONSE, hubId,
                command.originatorCounter(), command.originator(), Instant.now(), command.messageCode(),
                reason.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void alert(Envelope alert, int priority) {
        if (alert.type() != MessageType.ALERT) {
            throw new IllegalArgumentException("not an alert: " + alert.type());
        }
        Envelope stamped = new Envelope(alert.messageId(), MessageType.ALERT, alert.originator(),
                alert.originator().equals(hubId) ? counter.next() : alert.originatorCounter(), alert.recipient(),
                alert.dateTime(), alert.messageCode(), alert.payload());
        outbox.enqueue(new OutboundMessage(stamped.messageId(), ALERT_TOPIC, priority, 1, stamped.dateTime(),
                wire(stamped)));
    }

    @Override
    public PreparedAlert prepareAlert(Envelope alert, Instant due) {
        if (alert.type() != MessageType.ALERT) {
            throw new IllegalArgumentException("not an alert: " + alert.type());
        }
        if (!alert.originator().equals(hubId)) {
            return new PreparedAlert(alert, EnvelopeCodec.encode(alert), false);
        }
        long dueMicros = Math.multiplyExact(due.getEpochSecond(), 1_000_000L) + due.getNano() / 1_000;
        Envelope stamped = new Envelope(alert.messageId(), MessageType.ALERT, hubId, counter.reserve(dueMicros),
                alert.recipient(), alert.dateTime(), alert.messageCode(), alert.payload());
        MessageSigner s = signer;
        if (s != null) {
            try {
                return new PreparedAlert(stamped, s.sign(stamped), true);
            } catch (RuntimeException e) {
                log.error("signing prepared {} failed; it is signed when sent", stamped, e);
            }
        }
        return new PreparedAlert(stamped, EnvelopeCodec.encode(stamped), false);
    }

    /**
     * Sends a prepared alert as is when its counter is still the next in line and its signature (if
     * a signer is present) was made ahead; else stamps and signs it now like any alert. The wire
     * bytes must be the prepared envelope's own (a mismatch is refused).
     */
    @Override
    public void alert(PreparedAlert prepared, int priority) {
        Envelope e = prepared.envelope();
        byte[] bytes = prepared.wire();
        Envelope carried;
        try {
            carried = prepared.signed() ? SignedEnvelopeCodec.decode(bytes).envelope() : EnvelopeCodec.decode(bytes);
        } catch (MalformedMessageException x) {
            throw new IllegalArgumentException("prepared alert's wire form does not decode: " + x.getMessage(), x);
        }
        if (!carried.messageId().equals(e.messageId()) || !carried.originator().equals(e.originator())
                || carried.originatorCounter() != e.originatorCounter() || carried.messageCode() != e.messageCode()
                || carried.type() != MessageType.ALERT || !java.util.Arrays.equals(carried.payload(), e.payload())) {
            throw new IllegalArgumentException("prepared alert's wire form is not its envelope");
        }
        if (e.originator().equals(hubId)) {
            boolean asIs = (prepared.signed() || signer == null) && counter.claim(e.originatorCounter());
            if (!asIs) {
                alert(e, priority); // re-stamped above everything issued since, signed now
                return;
            }
        }
        outbox.enqueue(new OutboundMessage(e.messageId(), ALERT_TOPIC, priority, 1, e.dateTime(), bytes));
    }

    /** The hub's own originator counter. */
    public long nextCounter() {
        return counter.next();
    }

    public Eui64 hubId() {
        return hubId;
    }

    private void audit(String code, Severity severity, Eui64 device, String detail) {
        log.warn("{}: {}", code, detail);
        events.log(HubEvent.of(EventKind.AUDIT, code, severity, device, SOURCE, detail));
    }

    private static final class HandlerEntry {
        final MessageHandler handler;
        final int[] codes;
        final int ranking;

        HandlerEntry(MessageHandler handler, int[] codes, int ranking) {
            this.handler = handler;
            this.codes = codes;
            this.ranking = ranking;
        }

        boolean serves(int code) {
            for (int c : codes) {
                if (c == code) {
                    return true;
                }
            }
            return false;
        }
    }
}
