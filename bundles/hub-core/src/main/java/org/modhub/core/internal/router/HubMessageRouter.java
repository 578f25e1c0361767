package org.modhub.core.internal.router;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
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
    }

    private final Logger log;
    private final Outbox outbox;
    private final StateStore state;
    private final EventLog events;
    private final Eui64 hubId;
    private final String commandTopic;
    private final Duration validity;
    private final HubCounter counter;
    private final List<HandlerEntry> handlers = new CopyOnWriteArrayList<>();
    private final Map<HeadEndSession, HeadEndSession.Subscription> subscriptions = new ConcurrentHashMap<>();

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
        this.hubId = parsed;
        this.log = log;
        this.outbox = outbox;
        this.state = state;
        this.events = events;
        this.commandTopic = config.commandTopic();
        this.validity = Duration.ofSeconds(config.validitySeconds());
        this.counter = new HubCounter(state);
    }

    @Deactivate
    void deactivate() {
        subscriptions.values().forEach(HeadEndSession.Subscription::close);
        subscriptions.clear();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addHandler(MessageHandler handler, Map<String, Object> properties) {
        handlers.add(new HandlerEntry(handler, codes(properties.get(MessageHandler.MESSAGE_CODES)), ranking(properties)));
    }

    void removeHandler(MessageHandler handler) {
        handlers.removeIf(h -> h.handler == handler);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addSession(HeadEndSession session) {
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

    private void received(String topic, byte[] bytes) {
        Envelope command;
        try {
            command = EnvelopeCodec.decode(bytes);
        } catch (MalformedMessageException e) {
            audit("MALFORMED_COMMAND", Severity.WARNING, null, "on " + topic + ": " + e.getMessage());
            return;
        }
        dispatch(command);
    }

    @Override
    public CompletionStage<Envelope> dispatch(Envelope command) {
        try {
            check(command);
        } catch (CommandRefusedException e) {
            return CompletableFuture.completedFuture(refuse(command, e.getMessage()));
        }
        Optional<HandlerEntry> handler = handlers.stream().filter(h -> h.serves(command.messageCode()))
                .max(Comparator.comparingInt(h -> h.ranking));
        if (handler.isEmpty()) {
            return CompletableFuture.completedFuture(
                    refuse(command, String.format("no handler for message code 0x%04X", command.messageCode())));
        }
        CompletionStage<Envelope> handled;
        try {
            handled = handler.get().handler.handle(command);
        } catch (RuntimeException e) {
            handled = CompletableFuture.failedFuture(e);
        }
        return handled.handle((response, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause()
                        : failure;
                String reason = cause instanceof CommandRefusedException ? cause.getMessage()
                        : "handler failed: " + cause.getClass().getSimpleName();
                if (!(cause instanceof CommandRefusedException)) {
                    log.error("handler for {} failed", command, cause);
                }
                return refuse(command, reason);
            }
            if (response == null) {
                return null;
            }
            Envelope signed = new Envelope(response.messageId(), MessageType.RESPONSE, hubId, command.originatorCounter(),
                    command.originator(), response.dateTime(), command.messageCode(), response.payload());
            outbox.enqueue(new OutboundMessage(signed.messageId(), RESPONSE_TOPIC, 1, 1, signed.dateTime(),
                    EnvelopeCodec.encode(signed)));
            return signed;
        });
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
        audit("COMMAND_REFUSED", Severity.WARNING, command.originator(),
                String.format("%s code 0x%04X: %s", command.messageId(), command.messageCode(), reason));
        Envelope error = new Envelope(UUID.randomUUID().toString(), MessageType.RESPONSE, hubId,
                command.originatorCounter(), command.originator(), Instant.now(), command.messageCode(),
                reason.getBytes(StandardCharsets.UTF_8));
        outbox.enqueue(new OutboundMessage(error.messageId(), ERROR_TOPIC, 1, 1, error.dateTime(),
                EnvelopeCodec.encode(error)));
        return error;
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
                EnvelopeCodec.encode(stamped)));
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
