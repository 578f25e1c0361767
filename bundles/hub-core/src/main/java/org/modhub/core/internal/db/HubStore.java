package org.modhub.core.internal.db;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

/**
 * The hub's durable store: the data directory and the SQLite files in it. hub-core owns them, so
 * no other bundle's update or removal takes data with it. {@code hub.db} holds configuration,
 * events, metering data, the device log and bundle state; {@code outbox.db} the outbox, so its
 * fsyncs do not wait behind other writes. A corrupt file is reported and left alone: this component
 * then fails to activate, everything that needs the store stays unsatisfied, and /health says so.
 *
 * <p>Where the store is cannot itself be kept in the store (configuration lives in it), so it is
 * set by framework (or system) properties: {@value #DATA_PROPERTY} (data directory, default
 * {@code ./modhub-data}), {@value #DURABILITY_PROPERTY} ({@code FULL}, the default: every commit is
 * fsynced; {@code NORMAL}: survives a process crash only) and {@value #CHECK_PROPERTY} (integrity
 * check of existing files at start, default true).
 */
@Component(service = HubStore.class, immediate = true, configurationPolicy = ConfigurationPolicy.IGNORE)
public class HubStore {
    public static final String DATA_PROPERTY = "modhub.data";
    public static final String DURABILITY_PROPERTY = "modhub.store.durability";
    public static final String CHECK_PROPERTY = "modhub.store.check";

    @Reference(service = LoggerFactory.class)
    private Logger log;

    private Path dataDir;
    private SqliteDatabase hub;
    private SqliteDatabase outbox;

    @Activate
    void activate(BundleContext context) throws Exception {
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
            String msg = "framework property " + DURABILITY_PROPERTY + ": '" + durabilityText + "' is not FULL or NORMAL";
            log.error(msg);
            throw new IllegalArgumentException(msg, e);
        }
        boolean check = !"false".equalsIgnoreCase(context.getProperty(CHECK_PROPERTY));
        dataDir = Paths.get(dir).toAbsolutePath().normalize();
        Files.createDirectories(dataDir);
        try {
            hub = SqliteDatabase.open(dataDir.resolve("hub.db"), durability, check);
            outbox = SqliteDatabase.open(dataDir.resolve("outbox.db"), durability, check);
        } catch (StoreCorruptException e) {
            log.error("STORE CORRUPT: {}", e.getMessage());
            System.err.println("modhub: STORE CORRUPT: " + e.getMessage());
            closeAll();
            throw e;
        }
        log.info("store open in {} (durability {})", dataDir, durability);
    }

    @Deactivate
    void deactivate() {
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
