package org.modhub.core.internal.db;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.osgi.framework.BundleContext;
import org.osgi.service.log.Logger;

/**
 * The hub's durable store: the data directory and the SQLite files in it. hub-core owns them, so
 * no other bundle's update or removal takes data with it. {@code hub.db} holds configuration,
 * events, metering data, the device log and bundle state; {@code outbox.db} the outbox, so its
 * fsyncs do not wait behind other writes. A corrupt file is reported and left alone: this component
 * is not registered, everything that needs the store stays unsatisfied, and /health says so.
 *
 * <p>Where the store is cannot itself be kept in the store (configuration lives in it), so it is
 * set by framework (or system) properties: {@value #DATA_PROPERTY} (data directory, default
 * {@code ./modhub-data}), {@value #DURABILITY_PROPERTY} ({@code FULL}, the default: every commit is
 * fsynced; {@code NORMAL}: survives a process crash only) and {@value #CHECK_PROPERTY} (integrity
 * check of existing files at start, default true).
 */
public class HubStore implements AutoCloseable {
    public static final String DATA_PROPERTY = "modhub.data";
    public static final String DURABILITY_PROPERTY = "modhub.store.durability";
    public static final String CHECK_PROPERTY = "modhub.store.check";

    private Path dataDir;
    private SqliteDatabase hub;
    private SqliteDatabase outbox;

    protected HubStore() {
    }

    /**
     * Opens the store where the framework properties say.
     *
     * @throws StoreCorruptException if a store file exists but is not an intact database (it is left untouched)
     * @throws IllegalArgumentException if a property is malformed
     */
    public static HubStore open(BundleContext context) throws Exception {
        return open(context, null);
    }

    /** As {@link #open(BundleContext)}, saying where the store is on {@code log} when given. */
    public static HubStore open(BundleContext context, Logger log) throws Exception {
        String dir = context.getProperty(DATA_PROPERTY);
        if (dir == null || dir.isBlank()) {
            dir = "modhub-data";
        }
        String durabilityText = context.getProperty(DURABILITY_PROPERTY);
        Durability durability;
        try {
            durability = durabilityText == null || durabilityText.isBlank() ? Durability.FULL
                    : Durability.valueOf(durabilityText.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("framework property " + DURABILITY_PROPERTY + ": '" + durabilityText
                    + "' is not FULL or NORMAL", e);
        }
        boolean check = !"false".equalsIgnoreCase(context.getProperty(CHECK_PROPERTY));
        HubStore store = new HubStore();
        store.dataDir = Paths.get(dir).toAbsolutePath().normalize();
        Files.createDirectories(store.dataDir);
        // sqlite-jdbc's first configuration sets up its date formats (calendar and locale data, tens of
        // ms on a cold JVM): done on another thread while this one prepares and loads the native library
        Thread warm = new Thread(org.sqlite.SQLiteConfig::new, "modhub-store-warm");
        warm.setDaemon(true);
        warm.start();
        if (!"false".equalsIgnoreCase(context.getProperty(NativeLibraryCache.PROPERTY))) {
            NativeLibraryCache.prepare(store.dataDir);
        }
        // the native library loads here meanwhile (a failure is left for the first connection to report)
        try {
            org.sqlite.SQLiteJDBCLoader.initialize();
        } catch (Exception | LinkageError e) {
            // the connection below fails with sqlite-jdbc's own message
        }
        // the two files open (and are checked) side by side: the check of an existing file reads all of it
        Path outboxFile = store.dataDir.resolve("outbox.db");
        CompletableFuture<SqliteDatabase> outbox = new CompletableFuture<>();
        Thread opener = new Thread(() -> {
            try {
                outbox.complete(SqliteDatabase.open(outboxFile, durability, check));
            } catch (Throwable t) {
                outbox.completeExceptionally(t);
            }
        }, "modhub-store-open-outbox");
        opener.setDaemon(true);
        opener.start();
        try {
            store.hub = SqliteDatabase.open(store.dataDir.resolve("hub.db"), durability, check);
        } catch (Exception e) {
            closeWhenOpen(outbox);
            throw e;
        }
        try {
            store.outbox = outbox.join();
        } catch (CompletionException e) {
            store.close();
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
        if (log != null) {
            log.info("store open in {} (durability {})", store.dataDir, durability);
        }
        return store;
    }

    private static void closeWhenOpen(CompletableFuture<SqliteDatabase> pending) {
        pending.whenComplete((db, failure) -> {
            if (db != null) {
                db.close();
            }
        });
    }

    @Override
    public void close() {
        closeAll();
    }

    private void closeAll() {
        if (outbox != null) {
            outbox.close();
            outbox = null;
        }
        if (hub != null) {
            hub.close();
            hub = null;
        }
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Events, metering data, device log, bundle state. */
    public SqliteDatabase hub() {
        return hub;
    }

    public SqliteDatabase outbox() {
        return outbox;
    }
}
