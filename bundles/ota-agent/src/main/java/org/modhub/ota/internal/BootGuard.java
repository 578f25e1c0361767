package org.modhub.ota.internal;

import java.nio.file.Path;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.startlevel.BundleStartLevel;

/**
 * The boot guard: this bundle's activator. The runtime starts the framework at beginning start level 4
 * with every other bundle at levels 2 to 5 ({@code org.osgi.framework.startlevel.beginning=4},
 * {@code felix.startlevel.bundle=4} in distro/hub.bnd); the guard puts its own bundle at level 1, so
 * from the second boot on it runs, alone, before any bundle an update can change has started. It uses
 * only the framework API and files in {@code <modhub.data>/ota} (the hub-core store is not running
 * yet), and an update can never replace it (the agent refuses packages that name this bundle).
 */
public final class BootGuard implements BundleActivator {
    @Override
    public void start(BundleContext context) {
        BundleStartLevel level = context.getBundle().adapt(BundleStartLevel.class);
        if (level != null && level.getStartLevel() != 1) {
            level.setStartLevel(1);
        }
        String data = context.getProperty("modhub.data");
        if (data == null || data.isBlank()) {
            return;
        }
        String what = Transactions.boot(context, Path.of(data).resolve("ota"),
                line -> System.out.println("modhub OTA boot guard: " + line),
                // not from here (they would run before the rest of the hub): the agent starts the bundles of
                // the set once the framework runs (OtaAgent.afterBoot)
                bundles -> { });
        if (!"idle".equals(what)) {
            System.out.println("modhub OTA boot guard: " + what);
        }
    }

    @Override
    public void stop(BundleContext context) {
        // nothing to release
    }
}
