package org.modhub.core.internal.db;

import org.modhub.api.health.ComponentHealth;
import org.modhub.api.health.HealthContributor;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * hub-core's activator: opens the {@link HubStore} on its own thread as soon as the bundle starts and
 * registers it as a service once it is open. In the product variants hub-core starts at a level of
 * its own, before the OSGi services (Declarative Services, ConfigAdmin), so loading SQLite's native
 * library and checking the files overlaps with their start instead of following it; every component
 * that needs the store (ConfigAdmin's persistence manager among them) waits for the service. It is
 * an activator, not a component, for that reason: it needs nothing but the framework.
 * <p>
 * A corrupt or unreadable store is reported clearly (standard error, which the hub's console log
 * also carries, and health) and never replaced: the store service is then not registered and the
 * hub stays DEGRADED with the reason.
 */
public final class StoreActivator implements BundleActivator {
    static final String NAME = "org.modhub.core.store";

    private BundleContext context;
    private Thread opener;
    private HubStore store;
    private ServiceRegistration<?> registration;
    private boolean closing;

    @Override
    public void start(BundleContext context) {
        synchronized (this) {
            this.context = context;
            this.closing = false;
        }
        opener = new Thread(this::open, "modhub-store-open");
        opener.start();
    }

    private void open() {
        BundleContext ctx;
        synchronized (this) {
            ctx = context;
        }
        try {
            HubStore opened = HubStore.open(ctx);
            synchronized (this) {
                if (closing) {
                    opened.close();
                    return;
                }
                store = opened;
            }
            // outside the lock: registering starts every component that waits for the store, on this thread
            ServiceRegistration<?> r = ctx.registerService(HubStore.class, opened, null);
            synchronized (this) {
                if (closing) {
                    unregister(r);
                } else {
                    registration = r;
                }
            }
        } catch (Exception e) {
            String reason = (e instanceof StoreCorruptException ? "STORE CORRUPT: " : "store cannot be opened: ")
                    + e.getMessage();
            System.err.println("modhub: " + reason);
            synchronized (this) {
                if (!closing) {
                    HealthContributor failure = () -> ComponentHealth.degraded(NAME, reason);
                    registration = ctx.registerService(HealthContributor.class, failure, null);
                }
            }
        }
    }

    @Override
    public void stop(BundleContext context) throws InterruptedException {
        synchronized (this) {
            closing = true;
        }
        opener.join(30_000);
        ServiceRegistration<?> r;
        HubStore s;
        synchronized (this) {
            r = registration;
            registration = null;
            s = store;
            store = null;
        }
        unregister(r);
        if (s != null) {
            s.close();
        }
    }

    private static void unregister(ServiceRegistration<?> r) {
        if (r == null) {
            return;
        }
        try {
            r.unregister();
        } catch (IllegalStateException alreadyGone) {
            // the framework is stopping
        }
    }
}
