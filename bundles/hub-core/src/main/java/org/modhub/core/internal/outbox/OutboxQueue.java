package org.modhub.core.internal.outbox;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32;
import org.modhub.api.messaging.OutboundMessage;
import org.modhub.api.messaging.OutboxFullException;
import org.modhub.api.messaging.OutboxStats;
import org.modhub.core.internal.db.SqliteDatabase;
import org.modhub.core.internal.db.StoreException;

/**
 * The durable outbox queue on SQLite (WAL). An enqueue returns only after the transaction holding
 * its message committed; with synchronous=FULL that commit was fsynced.
 *
 * <p>Group commit: concurrent producers queue their messages in memory; whichever producer finds no
 * writer busy becomes the writer, takes everything queued so far and commits it in one transaction,
 * then wakes the producers whose messages it committed. A lone producer therefore commits its own
 * message directly, with no hand-off, and many producers share one fsync.
 *
 * <p>Writes queued without waiting — state rows ({@link #compareAndSetState}) and messages
 * ({@link #enqueueAllAsync}) — join the same group commit: when no writer is busy, the outbox's own
 * writer thread takes the role; the caller's stage completes once the commit holding its write is
 * durable. A producer that took the role goes back to its work once its own write is committed when
 * the oldest write still queued has no producer waiting (that thread takes the role), and a writer
 * handing its role on after a few rounds does the same.
 *
 * <p>Capacity is bounded by message count and payload bytes; when an enqueue would exceed it, the
 * oldest messages of the least urgent priority go first, and the purge listener is told how many.
 */
public final class OutboxQueue {
    /** Told about purges after the transaction that made them committed. */
    @FunctionalInterface
    public interface PurgeListener {
        void purged(long count, long bytes, String reason);
    }

    private static final String SCHEMA = """
            CREATE TABLE IF NOT EXISTS outbox (
              seq INTEGER PRIMARY KEY AUTOINCREMENT,
              id TEXT NOT NULL UNIQUE,
              priority INTEGER NOT NULL,
              qos INTEGER NOT NULL,
              topic TEXT NOT NULL,
              created INTEGER NOT NULL,
              payload BLOB NOT NULL,
              crc INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS outbox_order ON outbox(priority, seq);
            CREATE TABLE IF NOT EXISTS outbox_state (
              ns TEXT NOT NULL,
              key TEXT NOT NULL,
              value BLOB NOT NULL,
              PRIMARY KEY (ns, key)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS outbox_quarantine (
              seq INTEGER PRIMARY KEY,
              id TEXT,
              quarantined INTEGER NOT NULL,
              reason TEXT NOT NULL,
              payload BLOB)
            """;

    private final SqliteDatabase db;
    private final long capacityMessages;
    private final long capacityBytes;
    private final PurgeListener purgeListener;

    /** Rounds a writer commits for others before handing the role on. */
    private static final int MAX_WRITER_ROUNDS = 3;
    /** Largest outbox state value. */
    static final int MAX_STATE_VALUE = 1024;
    /**
     * The writer role when only state writes wait (no producer to take it): one daemon thread,
     * started on demand, gone after a few idle seconds.
     */
    private final java.util.concurrent.ThreadPoolExecutor committer = new java.util.concurrent.ThreadPoolExecutor(1, 1,
            5, java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "modhub-outbox-writer");
                t.setDaemon(true);
                return t;
            });

    private final Object groupLock = new Object();
    /** Set while the writer runs the callbacks of the writes it committed (they must not wait for a commit). */
    private static final ThreadLocal<OutboxQueue> IN_CALLBACK = new ThreadLocal<>();
    private final ArrayDeque<PendingWrite> queued = new ArrayDeque<>();
    private boolean writerActive;

    private long count;
    private long bytes;
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong purged = new AtomicLong();
    private PreparedStatement insert;

    public OutboxQueue(SqliteDatabase db, long capacityMessages, long capacityBytes, PurgeListener purgeListener) {
        if (capacityMessages <= 0 || capacityBytes <= 0) {
            throw new IllegalArgumentException("outbox capacity must be positive");
        }
        this.db = db;
        this.capacityMessages = capacityMessages;
        this.capacityBytes = capacityBytes;
        this.purgeListener = purgeListener == null ? (c, b, r) -> { } : purgeListener;
        committer.allowCoreThreadTimeOut(true);
        db.executeScript(SCHEMA);
        reloadCounts();
    }

    public void enqueue(OutboundMessage message) {
        enqueueAll(List.of(message));
    }

    /** Queues messages atomically; returns once they are committed. */
    public void enqueueAll(List<OutboundMessage> messages) {
        if (messages.isEmpty()) {
            return;
        }
        checkFits(messages);
        if (IN_CALLBACK.get() == this) {
            throw new IllegalStateException("a waiting enqueue from the outbox's own commit callback would never return;"
                    + " queue without waiting (enqueueAllAsync) or from another thread");
        }
        PendingWrite mine = new PendingWrite(messages, Thread.currentThread(), null, null);
        boolean lead;
        synchronized (groupLock) {
            queued.add(mine);
            lead = !writerActive;
            if (lead) {
                writerActive = true;
            }
        }
        if (!lead) {
            // wait until a writer committed our message, or handed the writer role to us
            while (!mine.done && !mine.leader) {
                LockSupport.park(this);
            }
        }
        if (!mine.done) {
            writeWhileQueued(false);
        }
        if (mine.failure != null) {
            throw mine.failure;
        }
    }

    /**
     * The writer role: commit everything queued, a few rounds while producers keep queueing, then
     * hand the role to the oldest waiting producer (or give it up if none waits).
     */
    private void writeWhileQueued(boolean ownThread) {
        for (int round = 0;; round++) {
            List<PendingWrite> batch;
            synchronized (groupLock) {
                batch = new ArrayList<>(queued);
                queued.clear();
            }
            writeBatch(batch);
            Thread self = Thread.currentThread();
            IN_CALLBACK.set(this);
            try {
                for (PendingWrite p : batch) {
                    p.done = true;
                    if (p.result != null) {
                        if (p.failure != null) {
                            p.result.completeExceptionally(p.failure);
                        } else {
                            p.result.complete(p.state == null || p.state.written);
                        }
                    } else if (p.thread != self) {
                        LockSupport.unpark(p.thread);
                    }
                }
            } finally {
                IN_CALLBACK.remove();
            }
            synchronized (groupLock) {
                if (queued.isEmpty()) {
                    writerActive = false;
                    return;
                }
                if (!ownThread && queued.peekFirst().thread == null) {
                    // a producer goes back to its work (it may have more to queue); the outbox's own
                    // thread commits the state rows, and the messages that join them meanwhile
                    startCommitter();
                    return;
                }
                if (round >= MAX_WRITER_ROUNDS) {
                    PendingWrite next = queued.peekFirst();
                    if (next.thread == null) { // a write queued without waiting: no producer to take the role
                        startCommitter();
                        return;
                    }
                    next.leader = true;
                    LockSupport.unpark(next.thread);
                    return;
                }
            }
        }
    }

    private void writeBatch(List<PendingWrite> batch) {
        long t0 = System.nanoTime();
        try {
            writeBatchTimed(batch);
        } finally {
            commits.incrementAndGet();
            commitItems.addAndGet(batch.size());
            commitNanos.addAndGet(System.nanoTime() - t0);
        }
    }

    /** Transactions committed (or failed), writes they carried, and the time spent in them (ns), so far. */
    public long[] commitStats() {
        return new long[] {commits.get(), commitItems.get(), commitNanos.get()};
    }

    private final AtomicLong commits = new AtomicLong();
    private final AtomicLong commitItems = new AtomicLong();
    private final AtomicLong commitNanos = new AtomicLong();

    private void writeBatchTimed(List<PendingWrite> batch) {
        long[] purge = {0, 0};
        RuntimeException failure = null;
        try {
            db.inTransaction(c -> {
                insertAll(c, batch);
                makeRoom(c, purge);
                writeState(batch);
                return null;
            });
        } catch (RuntimeException e) {
            failure = e;
            // counts may be off after a rolled-back transaction: reload them
            reloadCounts();
        }
        for (PendingWrite p : batch) {
            p.failure = failure;
        }
        if (failure == null && purge[0] > 0) {
            purged.addAndGet(purge[0]);
            purgeListener.purged(purge[0], purge[1], "capacity " + capacityMessages + " messages / " + capacityBytes + " bytes");
        }
    }

    /** Refuses a message larger than the whole outbox (it could never be kept). */
    private void checkFits(List<OutboundMessage> messages) {
        for (OutboundMessage m : messages) {
            if (m.payloadLength() > capacityBytes) {
                throw new OutboxFullException("message " + m.id() + " of " + m.payloadLength()
                        + " bytes exceeds the outbox capacity of " + capacityBytes + " bytes");
            }
        }
    }

    /**
     * Queues messages atomically into the next group commit without waiting (started by the outbox's
     * writer thread if no writer is busy); the stage completes once they are committed.
     */
    public CompletableFuture<Boolean> enqueueAllAsync(List<OutboundMessage> messages) {
        if (messages.isEmpty()) {
            return CompletableFuture.completedFuture(Boolean.TRUE);
        }
        checkFits(messages);
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        queueWithoutWaiting(new PendingWrite(messages, null, null, result));
        return result;
    }

    /**
     * Queues a compare-and-set of an outbox state row into the next group commit, started by the
     * outbox's writer thread if no writer is busy; the stage completes once it is durable.
     */
    public CompletableFuture<Boolean> compareAndSetState(String namespace, String key, byte[] expected, byte[] value) {
        if (namespace == null || namespace.isEmpty() || key == null || key.isEmpty()) {
            throw new IllegalArgumentException("namespace and key must not be empty");
        }
        if (value == null || value.length > MAX_STATE_VALUE) {
            throw new IllegalArgumentException("outbox state values are 0.." + MAX_STATE_VALUE + " bytes");
        }
        StateWrite w = new StateWrite(namespace, key, expected == null ? null : expected.clone(), value.clone());
        queueWithoutWaiting(new PendingWrite(List.of(), null, w, w.result));
        return w.result;
    }

    /** Queues a write nobody waits for; the outbox's own thread takes the writer role if none is busy. */
    private void queueWithoutWaiting(PendingWrite w) {
        boolean start;
        synchronized (groupLock) {
            queued.add(w);
            start = !writerActive;
            if (start) {
                writerActive = true;
            }
        }
        if (start) {
            startCommitter();
        }
    }

    /** The writer role on the outbox's own thread (the role is taken already). */
    private void startCommitter() {
        try {
            committer.execute(() -> writeWhileQueued(true));
        } catch (java.util.concurrent.RejectedExecutionException e) { // never shut down; defensive
            writeWhileQueued(true);
        }
    }

    /** The value of an outbox state row as last committed. */
    public Optional<byte[]> state(String namespace, String key) {
        return db.withConnection(c -> Optional.ofNullable(stateValue(namespace, key)));
    }

    /** The committed value of a state row, null for none; on the connection the caller holds. */
    private byte[] stateValue(String namespace, String key) throws SQLException {
        PreparedStatement ps = db.prepared("SELECT value FROM outbox_state WHERE ns = ? AND key = ?");
        ps.setString(1, namespace);
        ps.setString(2, key);
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getBytes(1) : null;
        }
    }

    /** The state writes of a batch, in queue order, each judged against the value before it. */
    private void writeState(List<PendingWrite> batch) throws SQLException {
        for (PendingWrite p : batch) {
            StateWrite w = p.state;
            if (w == null) {
                continue;
            }
            byte[] current = stateValue(w.namespace, w.key);
            w.written = w.expected == null ? current == null : current != null && Arrays.equals(current, w.expected);
            if (w.written) {
                PreparedStatement put = db.prepared("INSERT OR REPLACE INTO outbox_state(ns, key, value) VALUES (?,?,?)");
                put.setString(1, w.namespace);
                put.setString(2, w.key);
                put.setBytes(3, w.value);
                put.executeUpdate();
            }
        }
    }

    private void insertAll(Connection c, List<PendingWrite> batch) throws SQLException {
        if (insert == null) {
            insert = c.prepareStatement(
                    "INSERT OR IGNORE INTO outbox(id, priority, qos, topic, created, payload, crc) VALUES (?,?,?,?,?,?,?)");
        }
        for (PendingWrite p : batch) {
            for (int i = 0; i < p.messages.size(); i++) {
                OutboundMessage m = p.messages.get(i);
                byte[] payload = p.payloads[i];
                insert.setString(1, m.id());
                insert.setInt(2, m.priority());
                insert.setInt(3, m.qos());
                insert.setString(4, m.topic());
                insert.setLong(5, m.createdAt().toEpochMilli());
                insert.setBytes(6, payload);
                insert.setLong(7, p.crcs[i]);
                if (insert.executeUpdate() == 1) {
                    count++;
                    bytes += payload.length;
                }
            }
        }
    }

    private void makeRoom(Connection c, long[] purge) throws SQLException {
        if (count <= capacityMessages && bytes <= capacityBytes) {
            return;
        }
        try (PreparedStatement victims = c.prepareStatement(
                "SELECT seq, length(payload) FROM outbox ORDER BY priority DESC, seq ASC LIMIT 256");
                PreparedStatement delete = c.prepareStatement("DELETE FROM outbox WHERE seq = ?")) {
            while (count > capacityMessages || bytes > capacityBytes) {
                boolean any = false;
                try (ResultSet rs = victims.executeQuery()) {
                    while (rs.next() && (count > capacityMessages || bytes > capacityBytes)) {
                        any = true;
                        delete.setLong(1, rs.getLong(1));
                        delete.executeUpdate();
                        count--;
                        bytes -= rs.getLong(2);
                        purge[0]++;
                        purge[1] += rs.getLong(2);
                    }
                }
                if (!any) {
                    break;
                }
            }
        }
    }

    private void reloadCounts() {
        db.withConnection(c -> {
            reloadCountsLocked(c);
            return null;
        });
    }

    /**
     * The next messages to deliver: most urgent priority first, oldest first within it. Rows whose
     * payload no longer matches its checksum are moved to quarantine and reported through
     * {@code corrupt}.
     */
    List<StoredMessage> peek(int max, List<String> corrupt) {
        return db.withConnection(c -> {
            List<StoredMessage> out = new ArrayList<>(Math.min(max, 1024));
            List<long[]> bad = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT seq, id, priority, qos, topic, created, payload, crc FROM outbox ORDER BY priority, seq LIMIT ?")) {
                ps.setInt(1, max);
                try (ResultSet rs = ps.executeQuery()) {
                    CRC32 crc = new CRC32();
                    while (rs.next()) {
                        long seq = rs.getLong(1);
                        byte[] payload = rs.getBytes(7);
                        crc.reset();
                        crc.update(payload == null ? new byte[0] : payload);
                        if (payload == null || crc.getValue() != rs.getLong(8)) {
                            bad.add(new long[] {seq});
                            corrupt.add(rs.getString(2));
                            continue;
                        }
                        out.add(new StoredMessage(seq, new OutboundMessage(rs.getString(2), rs.getString(5), rs.getInt(3),
                                rs.getInt(4), Instant.ofEpochMilli(rs.getLong(6)), payload)));
                    }
                }
            } catch (IllegalArgumentException e) {
                throw new StoreException("outbox row unreadable: " + e.getMessage(), null);
            }
            for (long[] b : bad) {
                quarantine(c, b[0], "payload checksum mismatch");
            }
            return out;
        });
    }

    /** Moves a message a session refused for good to the quarantine (kept, no longer delivered). */
    void quarantine(StoredMessage m, String reason) {
        db.inTransaction(c -> {
            quarantine(c, m.seq(), reason);
            return null;
        });
    }

    private void quarantine(Connection c, long seq, String reason) throws SQLException {
        try (PreparedStatement move = c.prepareStatement(
                "INSERT OR REPLACE INTO outbox_quarantine(seq, id, quarantined, reason, payload) "
                        + "SELECT seq, id, ?, ?, payload FROM outbox WHERE seq = ?");
                PreparedStatement delete = c.prepareStatement("DELETE FROM outbox WHERE seq = ?")) {
            move.setLong(1, System.currentTimeMillis());
            move.setString(2, reason);
            move.setLong(3, seq);
            move.executeUpdate();
            delete.setLong(1, seq);
            delete.executeUpdate();
        }
        reloadCountsLocked(c);
    }

    private void reloadCountsLocked(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*), coalesce(sum(length(payload)),0) FROM outbox");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            count = rs.getLong(1);
            bytes = rs.getLong(2);
        }
    }

    /** Removes delivered messages. */
    void delivered(Collection<StoredMessage> messages) {
        if (messages.isEmpty()) {
            return;
        }
        db.inTransaction(c -> {
            try (PreparedStatement delete = c.prepareStatement("DELETE FROM outbox WHERE seq = ?")) {
                for (StoredMessage m : messages) {
                    delete.setLong(1, m.seq());
                    if (delete.executeUpdate() == 1) {
                        count--;
                        bytes -= m.message().payloadLength();
                    }
                }
            }
            return null;
        });
        delivered.addAndGet(messages.size());
    }

    /** Removes messages by id (delivered outside the dispatcher); returns how many rows went. */
    int deliveredIds(Collection<String> ids) {
        if (ids.isEmpty()) {
            return 0;
        }
        int removed = db.inTransaction(c -> {
            int n = 0;
            try (PreparedStatement select = c.prepareStatement("SELECT length(payload) FROM outbox WHERE id = ?");
                    PreparedStatement delete = c.prepareStatement("DELETE FROM outbox WHERE id = ?")) {
                for (String id : ids) {
                    select.setString(1, id);
                    long length;
                    try (ResultSet rs = select.executeQuery()) {
                        if (!rs.next()) {
                            continue;
                        }
                        length = rs.getLong(1);
                    }
                    delete.setString(1, id);
                    if (delete.executeUpdate() == 1) {
                        count--;
                        bytes -= length;
                        n++;
                    }
                }
            }
            return n;
        });
        delivered.addAndGet(removed);
        return removed;
    }

    /** Ids of the messages waiting at a priority, oldest first. */
    List<String> idsAt(int priority) {
        return db.withConnection(c -> {
            List<String> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT id FROM outbox WHERE priority = ? ORDER BY seq")) {
                ps.setInt(1, priority);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(rs.getString(1));
                    }
                }
            }
            return out;
        });
    }

    public OutboxStats stats() {
        return db.withConnection(c -> {
            Optional<Instant> oldest;
            try (PreparedStatement ps = c.prepareStatement("SELECT min(created) FROM outbox");
                    ResultSet rs = ps.executeQuery()) {
                long v = rs.next() ? rs.getLong(1) : 0;
                oldest = rs.wasNull() || count == 0 ? Optional.empty() : Optional.of(Instant.ofEpochMilli(v));
            }
            return new OutboxStats(count, bytes, delivered.get(), purged.get(), oldest);
        });
    }

    /** All stored messages in delivery order; for tests and tools. */
    public List<OutboundMessage> snapshot() {
        List<String> corrupt = new ArrayList<>();
        List<StoredMessage> all = peek(Integer.MAX_VALUE, corrupt);
        List<OutboundMessage> out = new ArrayList<>(all.size());
        for (StoredMessage m : all) {
            out.add(m.message());
        }
        return out;
    }

    /** A compare-and-set of an outbox state row and its caller's stage. */
    private static final class StateWrite {
        final String namespace;
        final String key;
        final byte[] expected;
        final byte[] value;
        final CompletableFuture<Boolean> result = new CompletableFuture<>();
        /** Set by the writer inside the transaction; told once it committed. */
        boolean written;

        StateWrite(String namespace, String key, byte[] expected, byte[] value) {
            this.namespace = namespace;
            this.key = key;
            this.expected = expected;
            this.value = value;
        }
    }

    private static final class PendingWrite {
        final List<OutboundMessage> messages;
        /** The producer waiting for the commit; null for a write queued without waiting. */
        final Thread thread;
        final StateWrite state;
        /** For a write queued without waiting: completed once committed (with whether a state row was written). */
        final CompletableFuture<Boolean> result;
        volatile boolean done;
        volatile boolean leader;
        volatile RuntimeException failure;

        /** Payload copies and checksums, prepared by the producer so the writer only writes. */
        final byte[][] payloads;
        final long[] crcs;

        PendingWrite(List<OutboundMessage> messages, Thread thread, StateWrite state, CompletableFuture<Boolean> result) {
            this.messages = messages;
            this.thread = thread;
            this.state = state;
            this.result = result;
            this.payloads = new byte[messages.size()][];
            this.crcs = new long[messages.size()];
            CRC32 crc = new CRC32();
            for (int i = 0; i < payloads.length; i++) {
                payloads[i] = messages.get(i).payload();
                crc.reset();
                crc.update(payloads[i]);
                crcs[i] = crc.getValue();
            }
        }
    }
}
