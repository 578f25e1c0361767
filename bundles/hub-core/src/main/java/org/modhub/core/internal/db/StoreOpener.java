package org.modhub.core.internal.db;

import org.modhub.api.health.ComponentHealth;
import org.modhub.api.health.HealthContributor;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

/**
 * Opens the {@link HubStore} on its own thread and registers it as a service once it is open, so
 * loading SQLite's native library and checking the files overlaps with the rest of the framework's
 * start instead of holding it up. Every component that needs the store waits for that service.
 * A corrupt or unreadable store is reported clearly (log and health) and never replaced: the
 * store service is then not registered and the hub stays DEGRADED with the reason.
 */
@Component(immediate = true)
public class StoreOpener {
    static final String NAME = "org.modhub.core.store";

    private final BundleContext context;
    private final Logger log;
    private final Thread opener;
    private volatile HubStore store;
    private volatile ServiceRegistration<?> registration;
    private volatile boolean closing;

    @Activate
    public StoreOpener(BundleContext context, @Reference(service = LoggerFactory.class) Logger log) {
        this.context = context;
        this.log = log;
        this.opener = new Thread(this::open, "modhub-store-open");
        opener.start();
    }

    private void open() {
        try {
            HubStore opened = HubStore.open(context, log);
            synchronized (this) {
                if (closing) {
                    opened.close();
                    return;
                }
                store = opened;
                registration = context.registerService(HubStore.class, opened, null);
            }
        } catch (Exception e) {
            String reason = (e instanceof StoreCorruptException ? "STORE CORRUPT: " : "store cannot be opened: ")
                    + e.getMessage();
            log.error(reason);
            System.err.println("modhub: " + reason);
            synchronized (this) {
                if (!closing) {
                    HealthContributor failure = () -> ComponentHealth.degraded(NAME, reason);
                    registration = context.registerService(HealthContributor.class, failure, null);
                }
            }
        }
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        synchronized (this) {
            closing = true;
        }
        opener.join(30_000);
        synchronized (this) {
            if (registration != null) {
                try {
                    registration.unregister();
                } catch (IllegalStateException alreadyGone) {
                    // the framework is stopping
                }
                registration = null;
            }
            if (store != null) {
                store.close();
                store = null;
            }
        }
    }
}
