package org.modhub.core.internal.router;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventQuery;
import org.modhub.api.messaging.CommandRefusedException;
import org.modhub.api.messaging.Envelope;
import org.modhub.api.messaging.EnvelopeCodec;
import org.modhub.api.messaging.MessageHandler;
import org.modhub.api.messaging.MessageType;
import org.modhub.api.messaging.OutboundMessage;
import org.modhub.api.messaging.Outbox;
import org.modhub.api.messaging.OutboxStats;
import org.modhub.api.wan.HeadEndSession;
import org.modhub.core.internal.db.HubStore;
import org.modhub.core.internal.event.SqliteEventLog;
import org.modhub.core.internal.state.SqliteStateStore;
import org.modhub.core.internal.testing.Fakes;

class HubMessageRouterTest {
    static final Eui64 HUB = Eui64.parse("00-DB-12-34-56-78-90-A4");
    static final Eui64 HEAD_END = Eui64.parse("90-B3-D5-1F-30-01-00-00");

    @TempDir
    Path dir;

    final List<OutboundMessage> sent = new ArrayList<>();
    final Outbox outbox = new Outbox() {
        @Override
        public void enqueue(OutboundMessage m) {
            sent.add(m);
        }

        @Override
        public void enqueueAll(List<OutboundMessage> messages) {
            sent.addAll(messages);
        }

        @Override
        public OutboxStats stats() {
            return new OutboxStats(sent.size(), 0, 0, 0, Optional.empty());
        }
    };
    SqliteEventLog events;
    SqliteStateStore state;
    HubMessageRouter router;

    @BeforeEach
    void setUp() throws Exception {
        HubStore store = Fakes.store(dir);
        events = new SqliteEventLog(store, Fakes.guard(), Fakes.logger(),
                Fakes.config(SqliteEventLog.Config.class, Map.of()), Map.of());
        state = new SqliteStateStore(store);
        router = newRouter(Map.of());
        router.addHandler(cmd -> CompletableFuture.completedFuture(
                cmd.respond("r-" + cmd.messageId(), HUB, Instant.now(), "pong".getBytes(StandardCharsets.UTF_8))),
                Map.of(MessageHandler.MESSAGE_CODES, new Integer[] {0x0001, 0x0002}));
    }

    private HubMessageRouter newRouter(Map<String, Object> config) {
        return new HubMessageRouter(outbox, state, events, Fakes.guard(), Fakes.logger(),
                Fakes.context(Map.of("modhub.hub.id", HUB.toString())),
                Fakes.config(HubMessageRouter.Config.class, config), Map.of());
    }

    private static Envelope command(String id, long counter, int code, Eui64 to, Instant at) {
        return new Envelope(id, MessageType.COMMAND, HEAD_END, counter, to, at, code, new byte[] {1});
    }

    private long refusals() {
        return events.query(new EventQuery(Instant.EPOCH, Instant.MAX, Set.of("COMMAND_REFUSED"), Optional.empty(), 100))
                .size();
    }

    @Test
    void commandReachesItsHandlerAndTheResponseIsQueued() throws Exception {
        Envelope response = router.dispatch(command("c1", 10, 0x0001, HUB, Instant.now())).toCompletableFuture().get();
        assertEquals(MessageType.RESPONSE, response.type());
        assertEquals(10, response.originatorCounter());
        assertEquals(HEAD_END, response.recipient());
        assertEquals(1, sent.size());
        assertEquals("hub/response", sent.get(0).topic());
        Envelope onWire = EnvelopeCodec.decode(sent.get(0).payload());
        assertArrayEquals("pong".getBytes(StandardCharsets.UTF_8), onWire.payload());
    }

    @Test
    void replaysWrongRecipientsStaleDatesAndUnknownCodesAreRefused() throws Exception {
        router.dispatch(command("c1", 10, 0x0001, HUB, Instant.now())).toCompletableFuture().get();
        router.dispatch(command("c2", 10, 0x0001, HUB, Instant.now())).toCompletableFuture().get(); // replay
        router.dispatch(command("c3", 9, 0x0002, HUB, Instant.now())).toCompletableFuture().get(); // older counter
        router.dispatch(command("c4", 11, 0x0001, Eui64.of(5), Instant.now())).toCompletableFuture().get();
        router.dispatch(command("c5", 12, 0x0001, HUB, Instant.now().minusSeconds(3 * 86_400))).toCompletableFuture()
                .get();
        router.dispatch(command("c6", 13, 0x7777, HUB, Instant.now())).toCompletableFuture().get();
        assertEquals(5, refusals());
        assertEquals(List.of("hub/response", "hub/response/error", "hub/response/error", "hub/response/error",
                "hub/response/error", "hub/response/error"), sent.stream().map(OutboundMessage::topic).toList());
        String reason = new String(EnvelopeCodec.decode(sent.get(1).payload()).payload(), StandardCharsets.UTF_8);
        assertTrue(reason.contains("replay"), reason);
        // counters survive a restart of the router
        HubMessageRouter again = newRouter(Map.of());
        again.addHandler(cmd -> CompletableFuture.completedFuture(null),
                Map.of(MessageHandler.MESSAGE_CODES, 0x0001));
        again.dispatch(command("c7", 13, 0x0001, HUB, Instant.now())).toCompletableFuture().get();
        assertEquals(6, refusals());
        again.dispatch(command("c8", 14, 0x0001, HUB, Instant.now())).toCompletableFuture().get();
        assertEquals(6, refusals());
    }

    @Test
    void failingHandlerAndRefusalsBecomeErrorResponses() throws Exception {
        router.addHandler(cmd -> {
            throw new IllegalStateException("boom");
        }, Map.of(MessageHandler.MESSAGE_CODES, 0x0010));
        router.addHandler(cmd -> CompletableFuture.failedFuture(new CommandRefusedException(0x0011, "top-up above limit")),
                Map.of(MessageHandler.MESSAGE_CODES, 0x0011));
        router.dispatch(command("c1", 1, 0x0010, HUB, Instant.now())).toCompletableFuture().get();
        router.dispatch(command("c2", 2, 0x0011, HUB, Instant.now())).toCompletableFuture().get();
        assertEquals(2, sent.size());
        assertEquals("top-up above limit",
                new String(EnvelopeCodec.decode(sent.get(1).payload()).payload(), StandardCharsets.UTF_8));
    }

    @Test
    void malformedBytesFromTheHeadEndAreLoggedAndDropped() throws Exception {
        List<HeadEndSession.InboundListener> listeners = new ArrayList<>();
        HeadEndSession session = new HeadEndSession() {
            public String technology() {
                return "test";
            }

            public boolean isConnected() {
                return true;
            }

            public int maxPayloadSize() {
                return 1024;
            }

            public CompletionStage<Instant> publish(String topic, byte[] payload, int qos) {
                return CompletableFuture.completedFuture(Instant.now());
            }

            public Subscription subscribe(String filter, int qos, InboundListener listener) {
                listeners.add(listener);
                return () -> listeners.remove(listener);
            }
        };
        router.addSession(session);
        assertEquals(1, listeners.size());
        listeners.get(0).received("hub/command", new byte[] {1, 2, 3});
        listeners.get(0).received("hub/command", EnvelopeCodec.encode(command("ok", 50, 0x0001, HUB, Instant.now())));
        assertEquals(1, events.query(new EventQuery(Instant.EPOCH, Instant.MAX, Set.of("MALFORMED_COMMAND"),
                Optional.empty(), 10)).size());
        assertEquals(1, sent.size(), "the well-formed command was answered");
        router.removeSession(session);
        assertTrue(listeners.isEmpty());
    }

    @Test
    void malformedHubIdIsRefusedNamingTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> newRouter(Map.of("hubId", "not-an-eui")));
        assertTrue(e.getMessage().contains("org.modhub.core.router") && e.getMessage().contains("'hubId'"),
                e.getMessage());
    }

    @Test
    void hubCounterIsStrictlyIncreasingAcrossRestarts() {
        HubCounter a = new HubCounter(state);
        long last = 0;
        for (int i = 0; i < 1000; i++) {
            long v = a.next();
            assertTrue(v > last);
            last = v;
        }
        HubCounter b = new HubCounter(state);
        assertTrue(b.next() > last);
    }
}
