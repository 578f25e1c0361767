package org.modhub.bench;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/**
 * Copied into the bundles {@code bench/run ota} updates (each revision loads it in its own class loader):
 * it holds 256 KB in a static field, so a class loader kept alive after an update shows in the heap.
 */
public final class OtaBenchActivator implements BundleActivator {
    static final byte[] BALLAST = new byte[256 * 1024];

    @Override
    public void start(BundleContext context) {
        BALLAST[0] = 1;
    }

    @Override
    public void stop(BundleContext context) {
        BALLAST[0] = 0;
    }
}
