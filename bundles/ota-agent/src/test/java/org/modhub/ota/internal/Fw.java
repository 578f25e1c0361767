package org.modhub.ota.internal;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

/** A real Felix framework with a kept cache, standing in for the hub's runtime in tests. */
final class Fw implements AutoCloseable {
    final Framework fw;

    Fw(Path storage) throws Exception {
        this(storage, Map.of());
    }

    /** With more framework properties (e.g. the hub-core platform of the crash test). */
    Fw(Path storage, Map<String, String> extra) throws Exception {
        Map<String, String> p = new HashMap<>();
        p.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        p.put(Constants.FRAMEWORK_BEGINNING_STARTLEVEL, "2");
        p.put("felix.startlevel.bundle", "2");
        p.put("felix.log.level", "0");
        p.putAll(extra);
        FrameworkFactory f = ServiceLoader.load(FrameworkFactory.class).iterator().next();
        fw = f.newFramework(p);
        fw.init();
    }

    BundleContext ctx() {
        return fw.getBundleContext();
    }

    Fw start() throws Exception {
        fw.start();
        return this;
    }

    /** Installs (like the launcher does from the hub image) the bundles that are not installed yet, and starts them. */
    void image(Map<String, byte[]> jars) throws Exception {
        List<Bundle> installed = new ArrayList<>();
        for (var e : jars.entrySet()) {
            if (ctx().getBundle("image:" + e.getKey()) == null) {
                installed.add(ctx().installBundle("image:" + e.getKey(), new ByteArrayInputStream(e.getValue())));
            }
        }
        for (Bundle b : installed) {
            b.start();
        }
    }

    /** bsn:version of every bundle but the system bundle, sorted, as BundleSet.identity() writes it. */
    String identity() {
        TreeMap<String, String> m = new TreeMap<>();
        for (Bundle b : ctx().getBundles()) {
            if (b.getBundleId() != 0) {
                m.put(b.getSymbolicName(), b.getVersion().toString());
            }
        }
        List<String> out = new ArrayList<>();
        m.forEach((k, v) -> out.add(k + ":" + v));
        return String.join(",", out);
    }

    boolean allActive() {
        for (Bundle b : ctx().getBundles()) {
            if (b.getState() != Bundle.ACTIVE) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() throws Exception {
        fw.stop();
        fw.waitForStop(30_000);
    }
}
