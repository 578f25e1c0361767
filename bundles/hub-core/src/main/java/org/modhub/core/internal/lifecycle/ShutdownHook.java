package org.modhub.core.internal.lifecycle;

import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.launch.Framework;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * Stops the framework cleanly when the JVM is asked to exit (SIGTERM, SIGINT), so every component
 * deactivates and the stores close; the bnd launcher alone does not.
 */
@Component(immediate = true)
public class ShutdownHook {
    private final Thread hook;

    @Activate
    public ShutdownHook(BundleContext context) {
        Framework framework = (Framework) context.getBundle(0);
        this.hook = new Thread(() -> {
            try {
                framework.stop();
                framework.waitForStop(10_000);
            } catch (BundleException | InterruptedException | IllegalStateException e) {
                // exiting anyway
            }
        }, "modhub-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    @Deactivate
    void deactivate() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down: the hook is what stopped us
        }
    }
}
