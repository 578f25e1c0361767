package org.modhub.core.internal.outbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modhub.api.messaging.OutboundMessage;
import org.modhub.api.messaging.OutboxFullException;
import org.modhub.core.internal.db.Durability;
import org.modhub.core.internal.db.SqliteDatabase;
import org.modhub.core.internal.db.StoreCorruptException;

class OutboxQueueTest {
    @TempDir
    Path dir;

    private SqliteDatabase open() throws Exception {
        return SqliteDatabase.open(dir.resolve("outbox.db"), Durability.FULL, true);
    }

    @Test
    void keepsOrderWithinPriorityAndUrgentFirst() throws Exception {
        try (SqliteDatabase db = open()) {
            OutboxQueue q = new OutboxQueue(db, 1000, 1 << 20, null);
            q.enqueue(TestMessages.message("a", 4));
            q.enqueue(TestMessages.message("b", 9));
            q.enqueue(TestMessages.message("c", 4));
            q.enqueue(TestMessages.message("d", 0));
            q.enqueue(TestMessages.message("a", 4)); // duplicate id ignored
            List<String> order = q.snapshot().stream().map(OutboundMessage::id).toList();
            assertEquals(List.of("d", "a", "c", "b"), order);
            assertEquals(4, q.stats().pending());
        }
    }

    @Test
    void survivesReopenAndDeliveredMessagesLeave() throws Exception {
        try (SqliteDatabase db = open()) {
            OutboxQueue q = new OutboxQueue(db, 1000, 1 << 20, null);
            for (int i = 0; i < 10; i++) {
                q.enqueue(TestMessages.message("m" + i, 4));
            }
            List<String> corrupt = new ArrayList<>();
            List<StoredMessage> first = q.peek(3, corrupt);
            q.delivered(first);
            assertEquals(7, q.stats().pending());
            assertEquals(3, q.stats().delivered());
        }
        try (SqliteDatabase db = open()) {
            OutboxQueue q = new OutboxQueue(db, 1000, 1 << 20, null);
            List<OutboundMessage> left = q.snapshot();
            assertEquals(7, left.size());
            assertEquals("m3", left.get(0).id());
            assertArrayEquals(TestMessages.payload("m3"), left.get(0).payload());
            assertEquals(7, q.stats().pending());
        }
    }

    @Test
    void purgesOldestOfLeastUrgentWhenFull() throws Exception {
        AtomicLong purged = new AtomicLong();
        try (SqliteDatabase db = open()) {
            OutboxQueue q = new OutboxQueue(db, 5, 1 << 20, (count, bytes, reason) -> purged.addAndGet(count));
            q.enqueue(TestMessages.message("alert", 0));
            for (int i = 0; i < 6; i++) {
                q.enqueue(TestMessages.message("bulk" + i, 9));
            }
            List<String> ids = q.snapshot().stream().map(OutboundMessage::id).toList();
            assertEquals(List.of("alert", "bulk2", "bulk3", "bulk4", "bulk5"), ids);
            assertEquals(2, purged.get());
            assertEquals(2, q.stats().purged());
            assertThrows(OutboxFullException.class, () -> new OutboxQueue(db, 5, 100, null)
                    .enqueue(new OutboundMessage("big", "t/x", 4, 1, java.time.Instant.now(), new byte[101])));
        }
    }

    @Test
    void groupCommitUnderConcurrentProducersLosesNothing() throws Exception {
        try (SqliteDatabase db = open()) {
            OutboxQueue q = new OutboxQueue(db, 1_000_000, 1L << 30, null);
            ExecutorService pool = Executors.newFixedThreadPool(16);
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                int thread = t;
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        q.enqueue(TestMessages.message("t" + thread + "-" + i, thread % 3));
                    }
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
            pool.shutdown();
            List<OutboundMessage> all = q.snapshot();
            assertEquals(3200, all.size());
            Set<String> ids = new HashSet<>();
            for (OutboundMessage m : all) {
                ids.add(m.id());
                assertArrayEquals(TestMessages.payload(m.id()), m.payload());
            }
            assertEquals(3200, ids.size());
            // within a producer and priority, order is enqueue order
            int last = -1;
            for (OutboundMessage m : all) {
                if (m.id().startsWith("t0-")) {
                    int i = Integer.parseInt(m.id().substring(3));
                    assertTrue(i > last);
                    last = i;
                }
            }
        }
    }

    @Test
    void stateRowsAreComparedAndSetDurablyAndSurviveReopen() throws Exception {
        try (SqliteDatabase db = open()) {
            OutboxQueue q = new OutboxQueue(db, 1000, 1 << 20, null);
            assertTrue(q.state("ns", "k").isEmpty());
            assertTrue(q.compareAndSetState("ns", "k", null, new byte[] {1}).get(30, TimeUnit.SECONDS));
            // absent expected, present value: refused; wrong expected: refused; right one: written
            assertFalse(q.compareAndSetState("ns", "k", null, new byte[] {9}).get(30, TimeUnit.SECONDS));
            assertFalse(q.compareAndSetState("ns", "k", new byte[] {7}, new byte[] {9}).get(30, TimeUnit.SECONDS));
            assertTrue(q.compareAndSetState("ns", "k", new byte[] {1}, new byte[] {2}).get(30, TimeUnit.SECONDS));
            assertArrayEquals(new byte[] {2}, q.state("ns", "k").orElseThrow());
            assertTrue(q.state("other", "k").isEmpty());
            assertThrows(IllegalArgumentException.class, () -> q.compareAndSetState("ns", "", null, new byte[1]));
            assertThrows(IllegalArgumentException.class, () -> q.compareAndSetState("ns", "k", null, new byte[1025]));
        }
        try (SqliteDatabase db = open()) {
            OutboxQueue q = new OutboxQueue(db, 1000, 1 << 20, null);
            assertArrayEquals(new byte[] {2}, q.state("ns", "k").orElseThrow());
        }
    }

    /**
     * State writes and message producers share the group commit: many chained compare-and-sets
     * (each sent when the previous one completed, as the PKI agent's counters are) interleaved with
     * producers' messages all land, in order, and share transactions with the messages.
     */
    @Test
    void stateWritesShareCommitsWithMessages() throws Exception {
        try (SqliteDatabase db = open()) {
            OutboxQueue q = new OutboxQueue(db, 100_000, 64 << 20, null);
            int n = 300;
            java.util.concurrent.CompletableFuture<Long> chain = new java.util.concurrent.CompletableFuture<>();
            chainState(q, 0, n, chain);
            ExecutorService producers = Executors.newFixedThreadPool(2);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int thread = t;
                done.add(producers.submit(() -> {
                    for (int i = 0; i < n; i++) {
                        q.enqueue(TestMessages.message("p" + thread + "-" + i, 4));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
            producers.shutdown();
            assertEquals(n, chain.get(120, TimeUnit.SECONDS));
            assertEquals(n, java.nio.ByteBuffer.wrap(q.state("ns", "counter").orElseThrow()).getLong());
            assertEquals(2 * n, q.stats().pending());
            long[] stats = q.commitStats();
            assertTrue(stats[0] < 3 * n, "state writes and messages should share commits: " + stats[0]
                    + " transactions for " + 3 * n + " writes");
        }
    }

    @Test
    void messagesQueuedWithoutWaitingAreDurableWhenTheirStageCompletes() throws Exception {
        try (SqliteDatabase db = open()) {
            OutboxQueue q = new OutboxQueue(db, 1000, 1 << 20, null);
            List<java.util.concurrent.CompletableFuture<Boolean>> stages = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                stages.add(q.enqueueAllAsync(List.of(TestMessages.message("a" + i, 4))));
            }
            java.util.concurrent.atomic.AtomicReference<Throwable> fromCallback = new java.util.concurrent.atomic.AtomicReference<>();
            // queued while this thread holds the connection: the commit cannot happen before the
            // callback is registered, so the callback surely runs on the outbox's writer thread
            java.util.concurrent.CompletableFuture<Void> last = db.withConnection(c -> q.enqueueAllAsync(
                    List.of(TestMessages.message("last", 4))).thenRun(() -> {
                        try {
                            q.enqueue(TestMessages.message("never", 4)); // would wait for the thread running it
                        } catch (IllegalStateException e) {
                            fromCallback.set(e);
                        }
                    }));
            last.get(30, TimeUnit.SECONDS);
            for (java.util.concurrent.CompletableFuture<Boolean> s : stages) {
                assertTrue(s.get(30, TimeUnit.SECONDS));
            }
            assertTrue(fromCallback.get() instanceof IllegalStateException, "a waiting enqueue from a callback is refused");
            assertEquals(51, q.stats().pending());
            assertEquals("a0", q.snapshot().get(0).id());
            assertThrows(OutboxFullException.class, () -> q.enqueueAllAsync(List.of(new OutboundMessage("big", "t", 4, 1,
                    java.time.Instant.now(), new byte[(1 << 20) + 1]))));
        }
    }

    private static void chainState(OutboxQueue q, long value, int last, java.util.concurrent.CompletableFuture<Long> end) {
        if (value == last) {
            end.complete(value);
            return;
        }
        byte[] expected = value == 0 ? null : java.nio.ByteBuffer.allocate(8).putLong(value).array();
        q.compareAndSetState("ns", "counter", expected, java.nio.ByteBuffer.allocate(8).putLong(value + 1).array())
                .whenComplete((ok, e) -> {
                    if (e != null || !ok) {
                        end.completeExceptionally(e != null ? e : new AssertionError("compare-and-set refused at " + value));
                    } else {
                        chainState(q, value + 1, last, end);
                    }
                });
    }

    @Test
    void corruptPayloadIsQuarantinedNotDelivered() throws Exception {
        try (SqliteDatabase db = open()) {
            OutboxQueue q = new OutboxQueue(db, 100, 1 << 20, null);
            q.enqueue(TestMessages.message("good", 4));
            q.enqueue(TestMessages.message("bad", 4));
            db.withConnection(c -> c.createStatement().executeUpdate("UPDATE outbox SET crc = crc + 1 WHERE id = 'bad'"));
            List<String> corrupt = new ArrayList<>();
            List<StoredMessage> got = q.peek(10, corrupt);
            assertEquals(List.of("bad"), corrupt);
            assertEquals(1, got.size());
            assertEquals(1, db.queryLong("SELECT count(*) FROM outbox_quarantine"));
        }
    }

    @Test
    void garbageStoreFileIsRefusedAndLeftUntouched() throws IOException {
        Path file = dir.resolve("outbox.db");
        byte[] junk = "this is not a database, but somebody's data".getBytes();
        Files.write(file, junk);
        StoreCorruptException e = assertThrows(StoreCorruptException.class,
                () -> SqliteDatabase.open(file, Durability.FULL, true));
        assertTrue(e.getMessage().contains("left untouched"), e.getMessage());
        assertArrayEquals(junk, Files.readAllBytes(file));
    }

    @Test
    void damagedDatabaseIsRefused() throws Exception {
        try (SqliteDatabase db = open()) {
            OutboxQueue q = new OutboxQueue(db, 100_000, 1 << 30, null);
            List<OutboundMessage> batch = new ArrayList<>();
            for (int i = 0; i < 3000; i++) {
                batch.add(TestMessages.message("x" + i, 4));
            }
            q.enqueueAll(batch);
            db.withConnection(c -> c.createStatement().execute("PRAGMA wal_checkpoint(TRUNCATE)"));
        }
        Path file = dir.resolve("outbox.db");
        long size = Files.size(file);
        byte[] before = Files.readAllBytes(file);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            // overwrite pages in the middle of the file (b-tree pages) with garbage, keep the header
            for (long pos = 4096 * 3; pos < size - 4096; pos += 4096 * 7) {
                raf.seek(pos);
                raf.write(new byte[512]);
            }
        }
        byte[] damaged = Files.readAllBytes(file);
        assertTrue(!java.util.Arrays.equals(before, damaged));
        assertThrows(StoreCorruptException.class, () -> SqliteDatabase.open(file, Durability.FULL, true));
        assertArrayEquals(damaged, Files.readAllBytes(file));
    }
}
