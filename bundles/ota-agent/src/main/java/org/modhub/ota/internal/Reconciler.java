package org.modhub.ota.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * Makes the framework's bundles equal a {@link BundleSet}: updates bundles whose version differs
 * (from the jar kept in the OTA store under its SHA-256), installs missing ones, uninstalls bundles
 * that an update installed and the set no longer names, refreshes only those bundles and starts them.
 * Bundles of the hub image that the set names at the version they run are never touched; image
 * bundles are never uninstalled (the launcher would install them again).
 */
final class Reconciler {
    static final String OTA_LOCATION = "modhub-ota:";

    /** @param pending bundles to start once the framework has started (apply without refresh, at boot) */
    record Outcome(List<Bundle> touched, Map<String, String> startFailures, List<Bundle> pending) {
        boolean changed() {
            return !touched.isEmpty();
        }
    }

    private Reconciler() {
    }

    /** What differs between the framework and the set (bsn:version of each step), without changing anything. */
    static List<String> diff(BundleContext ctx, BundleSet target) {
        List<String> out = new ArrayList<>();
        Map<String, Bundle> installed = installed(ctx);
        target.bundles().values().forEach(e -> {
            Bundle b = installed.get(e.bsn());
            if (b == null) {
                out.add("install " + e.bsn() + ":" + e.version());
            } else if (!b.getVersion().toString().equals(e.version())) {
                out.add("update " + e.bsn() + ":" + b.getVersion() + "->" + e.version());
            }
        });
        installed.forEach((bsn, b) -> {
            if (!target.bundles().containsKey(bsn) && b.getLocation().startsWith(OTA_LOCATION)) {
                out.add("uninstall " + bsn + ":" + b.getVersion());
            }
        });
        return out;
    }

    static Map<String, Bundle> installed(BundleContext ctx) {
        Map<String, Bundle> m = new LinkedHashMap<>();
        for (Bundle b : ctx.getBundles()) {
            if (b.getBundleId() != 0 && b.getSymbolicName() != null && b.getState() != Bundle.UNINSTALLED) {
                m.put(b.getSymbolicName(), b);
            }
        }
        return m;
    }

    /**
     * @param refresh whether to refresh the touched bundles (never from a bundle activator: a refresh
     *        waits for the global framework lock, which the starting activator's bundle lock blocks)
     */
    static Outcome apply(BundleContext ctx, BundleSet target, Path store, boolean refresh, Consumer<String> log)
            throws IOException, BundleException, InterruptedException {
        Map<String, Bundle> installed = installed(ctx);
        List<Bundle> touched = new ArrayList<>();
        List<Bundle> toStart = new ArrayList<>();
        // 1. stop and update bundles whose version differs
        for (BundleSet.Entry e : target.bundles().values()) {
            Bundle b = installed.get(e.bsn());
            if (b != null && !b.getVersion().toString().equals(e.version())) {
                Path jar = jar(store, e);
                log.accept("update " + e.bsn() + " " + b.getVersion() + " -> " + e.version());
                if ((b.getState() & (Bundle.ACTIVE | Bundle.STARTING)) != 0) {
                    try {
                        b.stop(Bundle.STOP_TRANSIENT);
                    } catch (BundleException ex) {
                        log.accept("stopping " + e.bsn() + " failed: " + ex.getMessage());
                    }
                }
                try (InputStream in = Files.newInputStream(jar)) {
                    b.update(in);
                }
                touched.add(b);
                toStart.add(b);
            }
        }
        // 2. uninstall bundles an update installed that the set no longer names
        for (Bundle b : installed.values()) {
            if (!target.bundles().containsKey(b.getSymbolicName()) && b.getLocation().startsWith(OTA_LOCATION)) {
                log.accept("uninstall " + b.getSymbolicName() + " " + b.getVersion());
                b.uninstall();
                touched.add(b);
            }
        }
        // 3. install missing bundles
        for (BundleSet.Entry e : target.bundles().values()) {
            if (!installed.containsKey(e.bsn())) {
                Path jar = jar(store, e);
                log.accept("install " + e.bsn() + " " + e.version());
                Bundle b;
                try (InputStream in = Files.newInputStream(jar)) {
                    Bundle existing = ctx.getBundle(e.location());
                    if (existing != null) {
                        existing.uninstall(); // a half-installed leftover under the same location
                    }
                    b = ctx.installBundle(e.location(), in);
                }
                // at the level of every other updatable bundle (above the boot guard's level 1)
                FrameworkStartLevel fsl = ctx.getBundle(0).adapt(FrameworkStartLevel.class);
                BundleStartLevel bsl = b.adapt(BundleStartLevel.class);
                if (fsl != null && bsl != null) {
                    bsl.setStartLevel(Math.max(fsl.getInitialBundleStartLevel(), bsl.getStartLevel()));
                }
                touched.add(b);
                toStart.add(b);
            }
        }
        if (touched.isEmpty()) {
            return new Outcome(List.of(), Map.of(), List.of());
        }
        if (!refresh) {
            // at boot, from the guard's activator: starting now would run them before the rest of the
            // hub (and a failed activation clears the autostart setting); the caller starts them later
            return new Outcome(touched, Map.of(), toStart);
        }
        refresh(ctx, touched);
        Map<String, String> failures = new HashMap<>();
        for (Bundle b : toStart) {
            if (b.getState() == Bundle.UNINSTALLED || isFragment(b)) {
                continue;
            }
            try {
                b.start();
            } catch (BundleException | RuntimeException ex) {
                failures.put(b.getSymbolicName(), String.valueOf(ex.getMessage()));
                log.accept("starting " + b.getSymbolicName() + " failed: " + ex.getMessage());
            }
        }
        return new Outcome(touched, failures, List.of());
    }

    static Path jar(Path store, BundleSet.Entry e) throws IOException {
        if (e.fromImage()) {
            throw new IOException("no jar kept for " + e.bsn() + " " + e.version() + " (image bundle)");
        }
        Path jar = store.resolve(e.sha256() + ".jar");
        if (!Files.isRegularFile(jar)) {
            throw new IOException("the OTA store lacks " + e.bsn() + " " + e.version() + " (" + e.sha256() + ")");
        }
        return jar;
    }

    static boolean isFragment(Bundle b) {
        BundleRevision r = b.adapt(BundleRevision.class);
        return r != null && (r.getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
    }

    static void refresh(BundleContext ctx, List<Bundle> bundles) throws InterruptedException {
        FrameworkWiring wiring = ctx.getBundle(0).adapt(FrameworkWiring.class);
        CountDownLatch done = new CountDownLatch(1);
        wiring.refreshBundles(bundles, event -> {
            if (event.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
                done.countDown();
            }
        });
        if (!done.await(5, TimeUnit.MINUTES)) {
            throw new IllegalStateException("refresh did not finish within 5 minutes");
        }
    }
}
