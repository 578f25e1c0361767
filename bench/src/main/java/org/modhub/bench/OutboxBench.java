package org.modhub.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import org.modhub.api.messaging.OutboundMessage;
import org.modhub.core.internal.db.Durability;
import org.modhub.core.internal.db.SqliteDatabase;
import org.modhub.core.internal.outbox.OutboxQueue;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * {@code bench/run outbox}: durable enqueue rate of the hub-core outbox beside raw single-row SQLite
 * commits with the same durability settings (WAL, synchronous=FULL), measured in the same run, on
 * the same disk, with the same row shape (id, priority, qos, topic, created, 120-byte payload, crc).
 * Each scenario runs {@code RUNS} times, interleaved, and the median is printed.
 */
public final class OutboxBench {
    static final int RUNS = Integer.getInteger("bench.runs", 5);
    private static final int SINGLE = Integer.getInteger("bench.single", 3_000);
    private static final int PRODUCERS = Integer.getInteger("bench.producers", 64);
    private static final int GROUP_TOTAL = Integer.getInteger("bench.group", 64_000);
    private static final byte[] PAYLOAD = new byte[120];

    public static void main(String[] args) throws Exception {
        new Random(7).nextBytes(PAYLOAD);
        Path root = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", "target")).toAbsolutePath(),
                "outbox-bench");
        double[] raw = new double[RUNS];
        double[] single = new double[RUNS];
        double[] group = new double[RUNS];
        double[] rawBatch = new double[RUNS];
        for (int r = 0; r < RUNS; r++) {
            raw[r] = rawSqlite(root.resolve("raw" + r + ".db"), SINGLE);
            single[r] = outboxSingle(root.resolve("single" + r), SINGLE);
            group[r] = outboxGroup(root.resolve("group" + r), PRODUCERS, GROUP_TOTAL);
            rawBatch[r] = rawSqliteBatched(root.resolve("rawbatch" + r + ".db"), GROUP_TOTAL, 100);
            System.err.printf("run %d: raw %.0f/s, outbox %.0f/s, outbox x%d producers %.0f/s, raw batch-100 %.0f/s%n",
                    r + 1, raw[r], single[r], PRODUCERS, group[r], rawBatch[r]);
        }
        double rawMedian = median(raw);
        figure("outbox.enqueue.fsync_each", median(single), "msg/s", "sqlite.insert.fsync_each", rawMedian);
        figure("outbox.enqueue.group_commit_" + PRODUCERS + "_producers", median(group), "msg/s",
                "sqlite.insert.fsync_each", rawMedian);
        figure("outbox.enqueue.group_commit_" + PRODUCERS + "_producers", median(group), "msg/s",
                "sqlite.insert.batch100", median(rawBatch));
        deleteTree(root);
    }

    static void figure(String name, double value, String unit, String peer, double peerValue) {
        System.out.printf("figure=%s value=%.0f unit=%s peer=%s peer_value=%.0f ratio=%.2f%n", name, value, unit, peer,
                peerValue, value / peerValue);
    }

    static double median(double[] v) {
        return Stats.median(v);
    }

    private static Connection rawConnection(Path file) throws Exception {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        SQLiteDataSource ds = new SQLiteDataSource(config);
        ds.setUrl("jdbc:sqlite:" + file);
        Connection c = ds.getConnection();
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, priority INTEGER, "
                    + "qos INTEGER, topic TEXT, created INTEGER, payload BLOB, crc INTEGER)");
            s.execute("CREATE INDEX t_order ON t(priority, seq)");
        }
        return c;
    }

    private static void bind(PreparedStatement ps, int i) throws Exception {
        CRC32 crc = new CRC32();
        crc.update(PAYLOAD);
        ps.setString(1, "m-" + i);
        ps.setInt(2, 4);
        ps.setInt(3, 1);
        ps.setString(4, "metering/readings");
        ps.setLong(5, System.currentTimeMillis());
        ps.setBytes(6, PAYLOAD);
        ps.setLong(7, crc.getValue());
    }

    /** The peer: one INSERT per autocommit transaction, fsynced at commit. */
    static double rawSqlite(Path file, int n) throws Exception {
        try (Connection c = rawConnection(file);
                PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO t(id, priority, qos, topic, created, payload, crc) VALUES (?,?,?,?,?,?,?)")) {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                bind(ps, i);
                ps.executeUpdate();
            }
            return n / ((System.nanoTime() - t0) / 1e9);
        }
    }

    static double rawSqliteBatched(Path file, int n, int batch) throws Exception {
        try (Connection c = rawConnection(file);
                PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO t(id, priority, qos, topic, created, payload, crc) VALUES (?,?,?,?,?,?,?)")) {
            c.setAutoCommit(false);
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                bind(ps, i);
                ps.executeUpdate();
                if ((i + 1) % batch == 0) {
                    c.commit();
                }
            }
            c.commit();
            return n / ((System.nanoTime() - t0) / 1e9);
        }
    }

    private static OutboundMessage message(String id) {
        return new OutboundMessage(id, "metering/readings", 4, 1, Instant.now(), PAYLOAD);
    }

    static double outboxSingle(Path dir, int n) throws Exception {
        try (SqliteDatabase db = SqliteDatabase.open(dir.resolve("outbox.db"), Durability.FULL, true)) {
            OutboxQueue q = new OutboxQueue(db, 10_000_000, 1L << 32, null);
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                q.enqueue(message("m-" + i));
            }
            return n / ((System.nanoTime() - t0) / 1e9);
        }
    }

    static double outboxGroup(Path dir, int producers, int total) throws Exception {
        try (SqliteDatabase db = SqliteDatabase.open(dir.resolve("outbox.db"), Durability.FULL, true)) {
            OutboxQueue q = new OutboxQueue(db, 10_000_000, 1L << 32, null);
            CountDownLatch start = new CountDownLatch(1);
            CountDownLatch done = new CountDownLatch(producers);
            AtomicInteger next = new AtomicInteger();
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                Thread t = new Thread(() -> {
                    try {
                        start.await();
                        int i;
                        while ((i = next.getAndIncrement()) < total) {
                            q.enqueue(message("m-" + i));
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        done.countDown();
                    }
                });
                threads.add(t);
                t.start();
            }
            long t0 = System.nanoTime();
            start.countDown();
            done.await();
            double rate = total / ((System.nanoTime() - t0) / 1e9);
            if (q.stats().pending() != total) {
                throw new IllegalStateException("lost messages: " + q.stats().pending() + " of " + total);
            }
            return rate;
        }
    }

    private static void deleteTree(Path root) throws Exception {
        try (var walk = Files.walk(root)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
