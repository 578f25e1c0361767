package org.modhub.core.internal.db;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The hub's durable store: the data directory and the SQLite files in it. hub-core owns them, so
 * no other bundle's update or removal takes data with it. {@code hub.db} holds events, metering
 * data, the device log and bundle state; {@code outbox.db} the outbox, so its fsyncs do not wait
 * behind other writes. A corrupt file is reported and left alone: this component then fails to
 * activate, everything that needs the store stays unsatisfied, and /health says so.
 */
@Component(service = HubStore.class, immediate = true, configurationPid = HubStore.PID)
@Designate(ocd = HubStore.Config.class)
public class HubStore {
    public static final String PID = "org.modhub.core.store";
    /** Framework or system property naming the data directory. */
    public static final String DATA_PROPERTY = "modhub.data";

    @ObjectClassDefinition(name = "modhub store", description = "Where and how the hub keeps its durable data.")
    public @interface Config {
        @AttributeDefinition(description = "Data directory. Empty: the framework property modhub.data, else ./modhub-data.")
        String dataDir() default "";

        @AttributeDefinition(description = "FULL: every commit is fsynced (survives power loss). NORMAL: survives a process crash only.")
        Durability durability() default Durability.FULL;

        @AttributeDefinition(description = "Run an integrity check of existing store files at start.")
        boolean checkOnStart() default true;
    }

    @Reference(service = LoggerFactory.class)
    private Logger log;

    private Path dataDir;
    private SqliteDatabase hub;
    private SqliteDatabase outbox;

    @Activate
    void activate(BundleContext context, Config config) throws Exception {
        String dir = config.dataDir();
        if (dir == null || dir.isBlank()) {
            dir = context.getProperty(DATA_PROPERTY);
        }
        if (dir == null || dir.isBlank()) {
            dir = "modhub-data";
        }
        dataDir = Paths.get(dir).toAbsolutePath().normalize();
        Files.createDirectories(dataDir);
        try {
            hub = SqliteDatabase.open(dataDir.resolve("hub.db"), config.durability(), config.checkOnStart());
            outbox = SqliteDatabase.open(dataDir.resolve("outbox.db"), config.durability(), config.checkOnStart());
        } catch (StoreCorruptException e) {
            log.error("STORE CORRUPT: {}", e.getMessage());
            System.err.println("modhub: STORE CORRUPT: " + e.getMessage());
            closeAll();
            throw e;
        }
        log.info("store open in {} (durability {})", dataDir, config.durability());
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
