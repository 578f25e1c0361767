package org.modhub.core.internal.outbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modhub.api.messaging.OutboundMessage;
import org.modhub.api.wan.HeadEndSession;
import org.modhub.core.internal.db.HubStore;
import org.modhub.core.internal.testing.Fakes;

/** The priority-0 fast path: handed to the session at once, still durable, at least once, in order. */
class OutboxFastPathTest {
    @TempDir
    Path dir;
    HubStore store;
    OutboxService outbox;

    /** A session that records publishes and completes them as told. */
    static final class Session implements HeadEndSession {
        final List<String> published = Collections.synchronizedList(new ArrayList<>());
        final List<CompletableFuture<Instant>> pending = Collections.synchronizedList(new ArrayList<>());
        volatile boolean autoAck = true;
        volatile boolean fail;

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
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletionStage<Instant> publish(OutboundMessage m) {
            published.add(m.id());
            if (fail) {
                return CompletableFuture.failedFuture(new IllegalStateException("link down"));
            }
            CompletableFuture<Instant> f = new CompletableFuture<>();
            if (autoAck) {
                f.complete(Instant.now());
            } else {
                pending.add(f);
            }
            return f;
        }

        public Subscription subscribe(String filter, int qos, InboundListener listener) {
            return () -> { };
        }
    }

    OutboxService open(Map<String, Object> config) throws Exception {
        store = Fakes.store(dir);
        outbox = new OutboxService(store, Fakes.guard(), Fakes.logger(), Fakes.config(OutboxService.Config.class, config),
                Map.of());
        return outbox;
    }

    @AfterEach
    void close() throws Exception {
        if (outbox != null) {
            outbox.deactivate();
        }
        if (store != null) {
            store.close();
        }
    }

    static OutboundMessage message(String id, int priority) {
        return new OutboundMessage(id, "hub/alert", priority, 1, Instant.now(), new byte[] {1, 2, 3});
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(5);
        }
    }

    @Test
    void anUrgentMessageIsPublishedBeforeEnqueueReturnsAndRemovedOnceConfirmed() throws Exception {
        open(Map.of());
        Session session = new Session();
        session.autoAck = false;
        outbox.addSession(session, Map.of());
        outbox.enqueue(message("alert-1", OutboundMessage.PRIORITY_HIGHEST));
        // handed to the session on the caller's thread, and durable: both before enqueue returned
        assertEquals(List.of("alert-1"), session.published);
        assertEquals(1, outbox.stats().pending());
        Thread.sleep(200); // the dispatcher leaves a fast publish in flight alone
        assertEquals(List.of("alert-1"), session.published);
        session.pending.get(0).complete(Instant.now());
        await(() -> outbox.stats().pending() == 0, "the confirmed row to go");
        assertEquals(List.of("alert-1"), session.published, "sent once");
    }

    @Test
    void aFailedFastPublishIsDeliveredByTheDispatcher() throws Exception {
        open(Map.of("retryMinMs", 10));
        Session session = new Session();
        session.fail = true;
        outbox.addSession(session, Map.of());
        outbox.enqueue(message("alert-2", OutboundMessage.PRIORITY_HIGHEST));
        assertEquals(1, outbox.stats().pending(), "stored although the fast publish failed");
        session.fail = false;
        await(() -> outbox.stats().pending() == 0, "the dispatcher to deliver it");
        assertTrue(session.published.size() >= 2 && session.published.stream().allMatch("alert-2"::equals),
                session.published.toString());
    }

    @Test
    void noFastPathWhileAnotherUrgentMessageWaits() throws Exception {
        open(Map.of());
        outbox.enqueue(message("first", OutboundMessage.PRIORITY_HIGHEST)); // no session yet: stored only
        Session session = new Session();
        session.autoAck = false;
        outbox.addSession(session, Map.of());
        await(() -> session.published.contains("first"), "the dispatcher to publish the first");
        outbox.enqueue(message("second", OutboundMessage.PRIORITY_HIGHEST));
        assertEquals(List.of("first"), session.published, "the second did not overtake the first");
        session.autoAck = true;
        session.pending.get(0).complete(Instant.now());
        await(() -> outbox.stats().pending() == 0, "both delivered");
        assertEquals("first", session.published.get(0));
        assertTrue(session.published.indexOf("second") > 0);
    }

    @Test
    void theFastPathCanBeSwitchedOff() throws Exception {
        open(Map.of("urgentFastPath", false));
        Session session = new Session();
        session.autoAck = false;
        outbox.addSession(session, Map.of());
        outbox.enqueue(message("alert-3", OutboundMessage.PRIORITY_HIGHEST));
        await(() -> session.published.contains("alert-3"), "the dispatcher to publish it");
        session.pending.get(0).complete(Instant.now());
        await(() -> outbox.stats().pending() == 0, "delivered");
    }

    @Test
    void aFastPublishThatNeverAnswersIsHandedBackToTheDispatcher() throws Exception {
        open(Map.of("deliveryTimeoutMs", 300, "retryMinMs", 10));
        Session session = new Session();
        session.autoAck = false; // the first publish never completes
        outbox.addSession(session, Map.of());
        outbox.enqueue(message("alert-4", OutboundMessage.PRIORITY_HIGHEST));
        session.autoAck = true;
        await(() -> outbox.stats().pending() == 0, "the dispatcher to deliver it after the fast publish timed out");
        assertTrue(session.published.size() >= 2, session.published.toString());
    }
}
