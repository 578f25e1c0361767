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
import org.modhub.api.messaging.MalformedMessageException;
import org.modhub.api.security.CommandVerifier;
import org.modhub.api.security.MessageSigner;
import org.modhub.api.security.RemotePartyRole;
import org.modhub.api.security.SecurityCheckException;
import org.modhub.api.security.SignedEnvelopeCodec;
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

    final List<OutboundMessage> sent = java.util.Collections.synchronizedList(new ArrayList<>());
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

        @Override
        public java.util.concurrent.CompletionStage<Void> enqueueAllAsync(List<OutboundMessage> messages) {
            sent.addAll(messages);
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }

        @Override
        public Optional<byte[]> state(String namespace, String key) {
            throw new UnsupportedOperationException("the router keeps no outbox state");
        }

        @Override
        public java.util.concurrent.CompletionStage<Boolean> compareAndSetState(String namespace, String key,
                byte[] expected, byte[] value) {
            throw new UnsupportedOperationException("the router keeps no outbox state");
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
        HeadEndSession session = session(listeners);
        router.addSession(session);
        assertEquals(1, listeners.size());
        receive(listeners.get(0), new byte[] {1, 2, 3});
        receive(listeners.get(0), EnvelopeCodec.encode(command("ok", 50, 0x0001, HUB, Instant.now())));
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

    // ---- security: command verifier and signer (test doubles of the org.modhub.api.security services) ----

    /** Accepts signed commands whose 64-byte signature is all 0x5A; everything else is refused. */
    static class FakeVerifier implements CommandVerifier {
        final List<byte[]> seen = java.util.Collections.synchronizedList(new ArrayList<>());

        @Override
        public Envelope verify(byte[] bytes) throws SecurityCheckException {
            seen.add(bytes);
            SignedEnvelopeCodec.SignedEnvelope s;
            try {
                s = SignedEnvelopeCodec.decode(bytes);
            } catch (MalformedMessageException e) {
                throw new SecurityCheckException(SecurityCheckException.Reason.MALFORMED, e.getMessage());
            }
            for (byte b : s.signature()) {
                if (b != 0x5A) {
                    throw new SecurityCheckException(SecurityCheckException.Reason.BAD_SIGNATURE, "forged");
                }
            }
            return s.envelope();
        }

        @Override
        public Set<RemotePartyRole> rolesFor(int messageCode) {
            return Set.of(RemotePartyRole.SUPPLIER);
        }
    }

    static byte[] fakeSigned(Envelope e, int fill) {
        byte[] sig = new byte[64];
        java.util.Arrays.fill(sig, (byte) fill);
        return SignedEnvelopeCodec.encode(EnvelopeCodec.encode(e), sig);
    }

    /** "Signs" by appending 64 bytes of 0x77. */
    static final MessageSigner SIGNER = new MessageSigner() {
        @Override
        public byte[] sign(Envelope message) {
            return fakeSigned(message, 0x77);
        }

        @Override
        public Eui64 entityId() {
            return HUB;
        }

        @Override
        public java.security.cert.X509Certificate signingCertificate() {
            return null;
        }
    };

    /** A connected session whose subscriptions land in {@code listeners}. */
    private static HeadEndSession session(List<HeadEndSession.InboundListener> listeners) {
        return new HeadEndSession() {
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
    }

    /** Hands bytes to the router as a session does, and waits until the pipeline is idle again. */
    private void receive(HeadEndSession.InboundListener listener, byte[] bytes) throws InterruptedException {
        listener.received("hub/command", bytes);
        assertTrue(router.awaitIdle(java.time.Duration.ofSeconds(30)), "pipeline idle");
    }

    private List<HeadEndSession.InboundListener> connect() {
        List<HeadEndSession.InboundListener> listeners = new ArrayList<>();
        router.addSession(session(listeners));
        return listeners;
    }

    @Test
    void criticalCodesAreRefusedWithoutAVerifierBeforeAnyStateChanges() throws Exception {
        List<Envelope> handled = new ArrayList<>();
        router.addHandler(cmd -> {
            handled.add(cmd);
            return CompletableFuture.completedFuture(null);
        }, Map.of(MessageHandler.MESSAGE_CODES, new Integer[] {0x0101, 0x0302}));
        List<HeadEndSession.InboundListener> in = connect();
        receive(in.get(0), EnvelopeCodec.encode(command("c1", 20, 0x0101, HUB, Instant.now())));
        router.dispatch(command("c2", 21, 0x0302, HUB, Instant.now())).toCompletableFuture().get();
        assertTrue(handled.isEmpty(), "a critical command ran unsigned");
        assertEquals(2, refusals());
        assertEquals(List.of("hub/alert", "hub/response/error", "hub/alert", "hub/response/error"),
                sent.stream().map(OutboundMessage::topic).toList());
        Envelope alert = EnvelopeCodec.decode(sent.get(0).payload());
        assertEquals(MessageType.ALERT, alert.type());
        assertEquals(0x8F1C, alert.messageCode());
        assertEquals(HEAD_END, alert.recipient());
        assertTrue(new String(alert.payload(), StandardCharsets.UTF_8).contains("critical"));
        // no counter was consumed: the same counter is still good for a non-critical command
        router.dispatch(command("c3", 20, 0x0001, HUB, Instant.now())).toCompletableFuture().get();
        assertEquals("hub/response", sent.get(4).topic());
        // with a verifier present, unsigned local dispatch of a critical code is still refused
        router.setVerifier(new FakeVerifier());
        router.dispatch(command("c4", 22, 0x0101, HUB, Instant.now())).toCompletableFuture().get();
        assertTrue(handled.isEmpty());
    }

    @Test
    void withAVerifierEveryCommandFromTheHeadEndIsVerifiedFirstAndResponsesAreSigned() throws Exception {
        FakeVerifier verifier = new FakeVerifier();
        router.setVerifier(verifier);
        router.setSigner(SIGNER);
        List<Envelope> handled = new ArrayList<>();
        router.addHandler(cmd -> {
            handled.add(cmd);
            return CompletableFuture.completedFuture(cmd.respond("r-" + cmd.messageId(), HUB, Instant.now(), new byte[] {7}));
        }, Map.of(MessageHandler.MESSAGE_CODES, new Integer[] {0x0101}));
        List<HeadEndSession.InboundListener> in = connect();
        // signed and verified: handled (critical code included), response signed
        receive(in.get(0), fakeSigned(command("ok", 1, 0x0101, HUB, Instant.now()), 0x5A));
        assertEquals(1, handled.size());
        assertEquals("hub/response", sent.get(0).topic());
        byte[] wire = sent.get(0).payload();
        SignedEnvelopeCodec.SignedEnvelope response = SignedEnvelopeCodec.decode(wire);
        assertEquals(MessageType.RESPONSE, response.envelope().type());
        assertEquals((byte) 0x77, response.signature()[0]);
        // forged, unsigned and garbage: refused by the verifier, never handled, alerted
        receive(in.get(0), fakeSigned(command("forged", 2, 0x0101, HUB, Instant.now()), 0x01));
        receive(in.get(0), EnvelopeCodec.encode(command("unsigned", 3, 0x0001, HUB, Instant.now())));
        receive(in.get(0), new byte[] {1, 2, 3});
        assertEquals(4, verifier.seen.size());
        assertEquals(1, handled.size());
        assertEquals(List.of("hub/response", "hub/alert", "hub/alert", "hub/alert"),
                sent.stream().map(OutboundMessage::topic).toList());
        SignedEnvelopeCodec.SignedEnvelope alert = SignedEnvelopeCodec.decode(sent.get(1).payload());
        assertEquals(MessageType.ALERT, alert.envelope().type());
        assertEquals(HEAD_END, alert.envelope().recipient());
        assertTrue(new String(alert.envelope().payload(), StandardCharsets.UTF_8).contains("BAD_SIGNATURE"));
        // the verifier leaving: back to unsigned commands, critical codes refused
        router.unsetVerifier(verifier);
        receive(in.get(0), EnvelopeCodec.encode(command("c5", 5, 0x0101, HUB, Instant.now())));
        assertEquals(1, handled.size());
    }

    @Test
    void securityAlertsAreRateLimited() throws Exception {
        router = newRouter(Map.of("securityAlertsPerMinute", 3));
        router.setVerifier(new FakeVerifier());
        List<HeadEndSession.InboundListener> in = connect();
        for (int i = 0; i < 10; i++) {
            receive(in.get(0), fakeSigned(command("f" + i, i + 1, 0x0001, HUB, Instant.now()), 0x01));
        }
        assertEquals(3, sent.size());
    }

    @Test
    void badCriticalCodesAreRefusedNamingTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> newRouter(Map.of("criticalCodes", new String[] {"0x10000"})));
        assertTrue(e.getMessage().contains("'criticalCodes'"), e.getMessage());
    }

    /**
     * A two-step verifier whose counter "store" completes later on its own thread, remembering what
     * it stored: accept must be called in arrival order per originator (it refuses anything else).
     */
    static final class SlowStoreVerifier extends FakeVerifier {
        final Map<Eui64, Long> reserved = new java.util.concurrent.ConcurrentHashMap<>();
        final Set<String> stored = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final java.util.concurrent.ScheduledExecutorService store = java.util.concurrent.Executors
                .newSingleThreadScheduledExecutor();

        @Override
        public Checked check(byte[] bytes) throws SecurityCheckException {
            Envelope e = super.verify(bytes);
            return new Checked() {
                @Override
                public byte[] bytes() {
                    return bytes;
                }

                @Override
                public String toString() {
                    return e.originator() + "/" + e.originatorCounter();
                }
            };
        }

        @Override
        public CompletionStage<Envelope> accept(Checked checked) {
            Envelope e;
            try {
                e = SignedEnvelopeCodec.decode(checked.bytes()).envelope();
            } catch (MalformedMessageException x) {
                return CompletableFuture.failedFuture(x);
            }
            Long last = reserved.get(e.originator());
            if (last != null && e.originatorCounter() <= last) {
                return CompletableFuture.failedFuture(new SecurityCheckException(
                        SecurityCheckException.Reason.REPLAYED_COUNTER, "counter " + e.originatorCounter()));
            }
            reserved.put(e.originator(), e.originatorCounter());
            CompletableFuture<Envelope> f = new CompletableFuture<>();
            store.schedule(() -> {
                stored.add(e.originator() + "/" + e.originatorCounter());
                f.complete(e);
            }, 200, java.util.concurrent.TimeUnit.MICROSECONDS);
            return f;
        }
    }

    @Test
    void pipelineKeepsOrderPerOriginatorAndRunsHandlersOnlyOnceTheCounterIsStored() throws Exception {
        router = newRouter(Map.of("commandWorkers", 4, "maxCommandsInFlight", 64));
        SlowStoreVerifier verifier = new SlowStoreVerifier();
        router.setVerifier(verifier);
        Map<Eui64, List<Long>> order = new java.util.concurrent.ConcurrentHashMap<>();
        List<String> early = java.util.Collections.synchronizedList(new ArrayList<>());
        router.addHandler(cmd -> {
            if (!verifier.stored.contains(cmd.originator() + "/" + cmd.originatorCounter())) {
                early.add(cmd.messageId());
            }
            order.computeIfAbsent(cmd.originator(), k -> java.util.Collections.synchronizedList(new ArrayList<>()))
                    .add(cmd.originatorCounter());
            return CompletableFuture.completedFuture(cmd.respond("r-" + cmd.messageId(), HUB, Instant.now(), new byte[] {7}));
        }, Map.of(MessageHandler.MESSAGE_CODES, 0x0001));
        List<HeadEndSession.InboundListener> in = connect();
        int originators = 5;
        int perOriginator = 200;
        for (int i = 1; i <= perOriginator; i++) {
            for (int o = 0; o < originators; o++) {
                Eui64 from = Eui64.of(0x90B3D51F30000000L + o);
                Envelope c = new Envelope("c" + o + "-" + i, MessageType.COMMAND, from, i, HUB, Instant.now(), 0x0001,
                        new byte[] {1});
                in.get(0).received("hub/command", fakeSigned(c, 0x5A));
            }
        }
        // a replay and a forgery in the stream: refused, the rest unaffected
        Eui64 first = Eui64.of(0x90B3D51F30000000L);
        in.get(0).received("hub/command", fakeSigned(new Envelope("replay", MessageType.COMMAND, first, 3, HUB,
                Instant.now(), 0x0001, new byte[] {1}), 0x5A));
        in.get(0).received("hub/command", fakeSigned(new Envelope("forged", MessageType.COMMAND, first, 10_000, HUB,
                Instant.now(), 0x0001, new byte[] {1}), 0x01));
        assertTrue(router.awaitIdle(java.time.Duration.ofSeconds(60)), "pipeline idle");
        verifier.store.shutdown();
        assertEquals(List.of(), early, "handlers ran before their counter was stored");
        assertEquals(originators, order.size());
        List<Long> expected = new ArrayList<>();
        for (long i = 1; i <= perOriginator; i++) {
            expected.add(i);
        }
        for (List<Long> seen : order.values()) {
            assertEquals(expected, seen, "order per originator");
        }
        long responses = sent.stream().filter(m -> m.topic().equals("hub/response")).count();
        long alerts = sent.stream().filter(m -> m.topic().equals("hub/alert")).count();
        assertEquals(originators * perOriginator, responses);
        assertEquals(2, alerts, "the replay and the forgery were alerted");
    }

    @Test
    void aHandlerThatAnswersLaterHoldsNoWorkerAndItsResponseStillLeavesSigned() throws Exception {
        router = newRouter(Map.of("commandWorkers", 1));
        SlowStoreVerifier verifier = new SlowStoreVerifier();
        router.setVerifier(verifier);
        router.setSigner(SIGNER);
        CompletableFuture<Envelope> later = new CompletableFuture<>();
        router.addHandler(cmd -> later, Map.of(MessageHandler.MESSAGE_CODES, 0x0003));
        router.addHandler(cmd -> CompletableFuture.completedFuture(cmd.respond("r-" + cmd.messageId(), HUB, Instant.now(),
                new byte[] {1})), Map.of(MessageHandler.MESSAGE_CODES, 0x0001));
        List<HeadEndSession.InboundListener> in = connect();
        Eui64 other = Eui64.parse("90-B3-D5-1F-30-01-00-07");
        in.get(0).received("hub/command", fakeSigned(command("slow", 1, 0x0003, HUB, Instant.now()), 0x5A));
        in.get(0).received("hub/command", fakeSigned(new Envelope("quick", MessageType.COMMAND, other, 1, HUB,
                Instant.now(), 0x0001, new byte[] {1}), 0x5A));
        // the one worker is free while the slow handler has not answered: the quick command is answered
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (responseTo("r-quick") == null && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(responseTo("r-quick") != null, "the quick command was answered while the slow one waited");
        assertEquals(null, responseTo("r-slow"));
        Envelope slow = command("slow", 1, 0x0003, HUB, Instant.now());
        later.complete(slow.respond("r-slow", HUB, Instant.now(), new byte[] {3}));
        assertTrue(router.awaitIdle(java.time.Duration.ofSeconds(30)), "pipeline idle");
        verifier.store.shutdown();
        OutboundMessage answered = responseTo("r-slow");
        assertTrue(answered != null, "the slow command's response was queued once its handler answered");
        SignedEnvelopeCodec.SignedEnvelope signed = SignedEnvelopeCodec.decode(answered.payload());
        assertEquals(MessageType.RESPONSE, signed.envelope().type());
        assertEquals(HEAD_END, signed.envelope().recipient());
        assertEquals((byte) 0x77, signed.signature()[0]);
    }

    private OutboundMessage responseTo(String id) {
        synchronized (sent) {
            return sent.stream().filter(m -> m.id().equals(id)).findFirst().orElse(null);
        }
    }

    static Envelope hubAlert(String id) {
        return new Envelope(id, MessageType.ALERT, HUB, 0, HEAD_END, Instant.now(), 0x8F34, new byte[] {9});
    }

    @Test
    void aPreparedAlertLeavesExactlyAsSignedWhenNothingWasIssuedAboveItsCounter() throws Exception {
        router.setSigner(SIGNER);
        router.alert(hubAlert("before"), 1);
        long before = SignedEnvelopeCodec.decode(sent.get(0).payload()).envelope().originatorCounter();
        org.modhub.api.messaging.PreparedAlert prepared = router.prepareAlert(hubAlert("gasp"),
                Instant.now().plusSeconds(180));
        assertTrue(prepared.signed());
        long reserved = prepared.envelope().originatorCounter();
        assertTrue(reserved > before);
        // alerts issued meanwhile stay below the reserved counter
        router.alert(hubAlert("meanwhile"), 1);
        long meanwhile = SignedEnvelopeCodec.decode(sent.get(1).payload()).envelope().originatorCounter();
        assertTrue(meanwhile > before && meanwhile < reserved, meanwhile + " between " + before + " and " + reserved);
        router.alert(prepared, OutboundMessage.PRIORITY_HIGHEST);
        assertArrayEquals(prepared.wire(), sent.get(2).payload(), "sent exactly as prepared and signed");
        assertEquals(OutboundMessage.PRIORITY_HIGHEST, sent.get(2).priority());
        // and everything after it is above it
        router.alert(hubAlert("after"), 1);
        assertTrue(SignedEnvelopeCodec.decode(sent.get(3).payload()).envelope().originatorCounter() > reserved);
    }

    @Test
    void aPreparedAlertIsStampedAgainWhenACounterAboveItWasIssued() throws Exception {
        router.setSigner(SIGNER);
        org.modhub.api.messaging.PreparedAlert first = router.prepareAlert(hubAlert("a"), Instant.now().plusSeconds(60));
        org.modhub.api.messaging.PreparedAlert later = router.prepareAlert(hubAlert("b"), Instant.now().plusSeconds(120));
        router.alert(later, 0);
        assertArrayEquals(later.wire(), sent.get(0).payload());
        router.alert(first, 0); // its counter is below one already sent: re-stamped above it
        Envelope resent = SignedEnvelopeCodec.decode(sent.get(1).payload()).envelope();
        assertEquals("a", resent.messageId());
        assertTrue(resent.originatorCounter() > later.envelope().originatorCounter());
        // prepared unsigned, a signer present at send time: signed when sent
        router.unsetSigner(SIGNER);
        org.modhub.api.messaging.PreparedAlert unsigned = router.prepareAlert(hubAlert("c"), Instant.now().plusSeconds(300));
        assertTrue(!unsigned.signed());
        router.setSigner(SIGNER);
        router.alert(unsigned, 0);
        assertEquals((byte) 0x77, SignedEnvelopeCodec.decode(sent.get(2).payload()).signature()[0]);
        // wire bytes that are not the envelope's are refused
        org.modhub.api.messaging.PreparedAlert forged = new org.modhub.api.messaging.PreparedAlert(hubAlert("d"),
                EnvelopeCodec.encode(hubAlert("e")), false);
        assertThrows(IllegalArgumentException.class, () -> router.alert(forged, 0));
    }

    @Test
    void reservedCountersSurviveARestart() {
        HubCounter a = new HubCounter(state);
        long due = (System.currentTimeMillis() + 3_600_000L) * 1000;
        long reserved = a.reserve(due);
        assertEquals(due, reserved);
        HubCounter b = new HubCounter(state);
        assertTrue(b.next() > reserved, "a restarted counter starts above every reservation");
    }
}
