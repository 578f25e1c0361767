package org.modhub.bridge.gateway.internal;

import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.modhub.api.bridge.MeteringBridge;
import org.modhub.api.event.EventLog;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.hooks.service.EventListenerHook;
import org.osgi.framework.hooks.service.FindHook;
import org.osgi.framework.hooks.service.ListenerHook.ListenerInfo;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Keeps bridges to their view. For every bundle with the {@value MeteringBridge#BRIDGE_HEADER} manifest
 * header this service hook hides every service except the bridge API ({@code org.modhub.api.bridge.*}),
 * logging ({@code org.osgi.service.log.*}) and the services the bridge registered itself: no message
 * router, outbox, HAN network, head-end session, metering store, configuration admin, component
 * runtime or shell is ever visible to a bridge, by lookup, by DS reference or by service event. A
 * bridge asking for one by name gets nothing and an audit event {@code BRIDGE_WRITE_REFUSED}.
 *
 * <p>It also holds the consents in force and the bridges' read allowances ({@link BridgePolicy}).
 */
@Component(service = {BridgeGuard.class, FindHook.class, EventListenerHook.class}, immediate = true)
public class BridgeGuard implements FindHook, EventListenerHook {
    /**
     * Object classes (prefixes ending in '.', or exact names) a bridge may see. ConfigurationAdmin is
     * visible because Felix SCR looks it up through the component bundle's own context to configure
     * the bridge's components; a bridge that could use it (one that imports org.osgi.service.cm) is
     * not served at all (see {@link #importsConfigAdmin}).
     */
    static final Set<String> ALLOWED = Set.of("org.modhub.api.bridge.", "org.osgi.service.log.",
            "org.osgi.service.cm.ConfigurationAdmin");
    /** Packages a bridge must not import: with them it could write its own consent. */
    static final Set<String> FORBIDDEN_IMPORTS = Set.of("org.osgi.service.cm");

    private final ExecutorService auditExecutor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "modhub-bridge-audit");
        t.setDaemon(true);
        return t;
    });
    private final Map<Long, long[]> bridgeCache = new ConcurrentHashMap<>(); // id -> {lastModified, 0|1}
    private final BridgePolicy policy;
    private volatile EventLog events;
    private volatile long ownBundleId = -1;

    public BridgeGuard() {
        this.policy = new BridgePolicy(new BridgeAudit(() -> events, auditExecutor, System::nanoTime), System::nanoTime);
    }

    @Activate
    void activate(BundleContext context) {
        ownBundleId = context.getBundle().getBundleId();
    }

    @Deactivate
    void deactivate() {
        auditExecutor.shutdown();
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setEvents(EventLog e) {
        events = e;
    }

    void unsetEvents(EventLog e) {
        if (events == e) {
            events = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addConsent(ConsentComponent c) {
        policy.putConsent(c, c.consent);
    }

    void removeConsent(ConsentComponent c) {
        policy.removeConsent(c);
    }

    BridgePolicy policy() {
        return policy;
    }

    /** Whether a bundle is a bridge (has the manifest header); cached per bundle and update. */
    boolean isBridge(Bundle b) {
        if (b == null || b.getBundleId() == 0 || b.getBundleId() == ownBundleId) {
            return false;
        }
        long modified = b.getLastModified();
        long[] cached = bridgeCache.get(b.getBundleId());
        if (cached != null && cached[0] == modified) {
            return cached[1] == 1;
        }
        boolean bridge = b.getHeaders("").get(MeteringBridge.BRIDGE_HEADER) != null;
        bridgeCache.put(b.getBundleId(), new long[] {modified, bridge ? 1 : 0});
        return bridge;
    }

    /** Whether a bridge bundle is wired to a package it must not use (then it gets no data at all). */
    static boolean importsConfigAdmin(Bundle b) {
        org.osgi.framework.wiring.BundleWiring w = b == null ? null : b.adapt(org.osgi.framework.wiring.BundleWiring.class);
        if (w == null) {
            return false;
        }
        for (org.osgi.framework.wiring.BundleWire wire : w.getRequiredWires("osgi.wiring.package")) {
            Object pkg = wire.getCapability().getAttributes().get("osgi.wiring.package");
            if (pkg != null && FORBIDDEN_IMPORTS.contains(pkg.toString())) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code viewer} (a bridge) may see the service. */
    static boolean visibleToBridge(Bundle viewer, ServiceReference<?> ref) {
        Bundle owner = ref.getBundle();
        if (owner != null && owner.getBundleId() == viewer.getBundleId()) {
            return true;
        }
        Object classes = ref.getProperty(Constants.OBJECTCLASS);
        if (!(classes instanceof String[] names) || names.length == 0) {
            return false;
        }
        for (String n : names) {
            if (!allowed(n)) {
                return false;
            }
        }
        return true;
    }

    static boolean allowed(String objectClass) {
        for (String a : ALLOWED) {
            if (a.endsWith(".") ? objectClass.startsWith(a) : objectClass.equals(a)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void find(BundleContext context, String name, String filter, boolean allServices,
            Collection<ServiceReference<?>> references) {
        Bundle viewer;
        try {
            viewer = context.getBundle();
        } catch (IllegalStateException e) {
            return;
        }
        if (!isBridge(viewer)) {
            return;
        }
        boolean removed = false;
        for (Iterator<ServiceReference<?>> it = references.iterator(); it.hasNext();) {
            if (!visibleToBridge(viewer, it.next())) {
                it.remove();
                removed = true;
            }
        }
        if (name != null && removed && !allowed(name)) {
            policy.audit().refused(BridgeAudit.WRITE_REFUSED, viewer.getSymbolicName(), "asked for service " + name
                    + ": a bridge sees only " + MeteringBridge.class.getName() + " (no HAN, head end or hub writes)");
        }
    }

    @Override
    public void event(ServiceEvent event, Map<BundleContext, Collection<ListenerInfo>> listeners) {
        ServiceReference<?> ref = event.getServiceReference();
        for (Iterator<BundleContext> it = listeners.keySet().iterator(); it.hasNext();) {
            BundleContext c = it.next();
            Bundle viewer;
            try {
                viewer = c.getBundle();
            } catch (IllegalStateException e) {
                continue;
            }
            if (isBridge(viewer) && !visibleToBridge(viewer, ref)) {
                it.remove();
            }
        }
    }
}
