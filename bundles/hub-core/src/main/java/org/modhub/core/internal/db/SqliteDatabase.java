package org.modhub.core.internal.db;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * One SQLite database file in WAL mode with a single connection guarded by a lock. Opening checks
 * that an existing file is an intact SQLite database and refuses it otherwise: a store is never
 * silently replaced.
 */
public final class SqliteDatabase implements AutoCloseable {
    private static final byte[] MAGIC = "SQLite format 3\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final Path file;
    private final Connection connection;
    private final ReentrantLock lock = new ReentrantLock();
    /** Statements prepared once and reused (under the lock, like the connection). */
    private final java.util.Map<String, PreparedStatement> statements = new java.util.HashMap<>();

    private SqliteDatabase(Path file, Connection connection) {
        this.file = file;
        this.connection = connection;
    }

    /**
     * Opens or creates a database.
     *
     * @param check run {@code PRAGMA quick_check} on an existing file
     * @throws StoreCorruptException if the file exists but is not an intact SQLite database
     */
    public static SqliteDatabase open(Path file, Durability durability, boolean check)
            throws StoreCorruptException, SQLException, IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        boolean existed = Files.exists(file) && Files.size(file) > 0;
        if (existed) {
            checkHeader(file);
        }
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(durability == Durability.FULL ? SQLiteConfig.SynchronousMode.FULL
                : SQLiteConfig.SynchronousMode.NORMAL);
        config.setBusyTimeout(10_000);
        config.setTempStore(SQLiteConfig.TempStore.MEMORY);
        // Checkpoint the WAL every ~1000 pages; never let it grow without bound.
        config.setPragma(SQLiteConfig.Pragma.WAL_AUTOCHECKPOINT, "1000");
        SQLiteDataSource ds = new SQLiteDataSource(config);
        ds.setUrl("jdbc:sqlite:" + file.toAbsolutePath());
        Connection c;
        try {
            c = ds.getConnection();
        } catch (SQLException e) {
            throw corrupt(file, e);
        }
        try {
            if (existed && check) {
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA quick_check")) {
                    String result = rs.next() ? rs.getString(1) : "no result";
                    if (!"ok".equalsIgnoreCase(result)) {
                        throw new StoreCorruptException("store file " + file.toAbsolutePath() + " failed its integrity check ("
                                + result + "); it is left untouched: restore it from a backup or move it away", null);
                    }
                }
            }
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA foreign_keys=ON");
            }
            return new SqliteDatabase(file, c);
        } catch (SQLException e) {
            closeQuietly(c);
            throw corrupt(file, e);
        } catch (StoreCorruptException e) {
            closeQuietly(c);
            throw e;
        }
    }

    private static void checkHeader(Path file) throws IOException, StoreCorruptException {
        byte[] head = new byte[MAGIC.length];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        }
        if (n < MAGIC.length || !Arrays.equals(head, MAGIC)) {
            throw new StoreCorruptException("store file " + file.toAbsolutePath()
                    + " is not an SQLite database (bad header); it is left untouched: restore it from a backup or move it away",
                    null);
        }
    }

    private static StoreCorruptException corrupt(Path file, SQLException e) {
        return new StoreCorruptException("store file " + file.toAbsolutePath() + " cannot be opened: " + e.getMessage()
                + "; it is left untouched: restore it from a backup or move it away", e);
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // closing after a failure
        }
    }

    public Path file() {
        return file;
    }

    /** Runs work with exclusive use of the connection. */
    public <T> T withConnection(SqlFunction<T> work) {
        lock.lock();
        try {
            return work.apply(connection);
        } catch (SQLException e) {
            throw new StoreException("store " + file.getFileName() + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    /** Runs work in one transaction, committed (durably, per the durability setting) on return. */
    public <T> T inTransaction(SqlFunction<T> work) {
        return withConnection(c -> {
            c.setAutoCommit(false);
            try {
                T result = work.apply(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        });
    }

    /**
     * Executes DDL statements separated by ';' in one transaction: a schema is created whole or not at
     * all, with one durable commit instead of one per statement (first boot).
     */
    public void executeScript(String script) {
        inTransaction(c -> {
            try (Statement s = c.createStatement()) {
                for (String sql : script.split(";")) {
                    if (!sql.isBlank()) {
                        s.execute(sql);
                    }
                }
            }
            return null;
        });
    }

    public long queryLong(String sql, Object... args) {
        return withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < args.length; i++) {
                    ps.setObject(i + 1, args[i]);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getLong(1) : 0L;
                }
            }
        });
    }

    /**
     * A statement of this database's connection, prepared on first use and kept: for statements run
     * often (SQLite parses and plans each prepare). Call it only inside {@link #withConnection} or
     * {@link #inTransaction}; do not close it (close its result sets).
     */
    public PreparedStatement prepared(String sql) throws SQLException {
        if (!lock.isHeldByCurrentThread()) {
            throw new IllegalStateException("prepared statements are used under the connection's lock");
        }
        PreparedStatement ps = statements.get(sql);
        if (ps == null) {
            ps = connection.prepareStatement(sql);
            statements.put(sql, ps);
        }
        return ps;
    }

    /**
     * Closes the kept statements (they are prepared again on next use): maintenance such as VACUUM
     * needs a connection without statements in progress. Under the connection's lock.
     */
    public void releasePrepared() throws SQLException {
        if (!lock.isHeldByCurrentThread()) {
            throw new IllegalStateException("prepared statements are used under the connection's lock");
        }
        for (PreparedStatement ps : statements.values()) {
            ps.close();
        }
        statements.clear();
    }

    public boolean isHeldByCurrentThread() {
        return lock.isHeldByCurrentThread();
    }

    @Override
    public void close() {
        lock.lock();
        try {
            for (PreparedStatement ps : statements.values()) {
                try {
                    ps.close();
                } catch (SQLException ignored) {
                    // closing
                }
            }
            statements.clear();
            connection.close();
        } catch (SQLException ignored) {
            // closing
        } finally {
            lock.unlock();
        }
    }

    @FunctionalInterface
    public interface SqlFunction<T> {
        T apply(Connection c) throws SQLException;
    }
}
