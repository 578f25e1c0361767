package org.modhub.management.internal;

import java.io.IOException;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import org.modhub.api.health.HubHealth;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The hub's one local management endpoint: Felix's Jetty (OSGi servlet whiteboard) serving
 * {@code GET /health} ({@link HealthServlet}) and the status page at {@code /} ({@link StatusServlet}),
 * on 127.0.0.1:8040 by default, loopback only unless configured.
 *
 * <p>Jetty is kept off the hub's start path: the run configuration starts the Jetty bundle with HTTP
 * disabled ({@code org.apache.felix.http.enable=false}: its activator then only registers a managed
 * service), and this component, on its own thread, waits until the hub is READY and then configures
 * Felix's HTTP service (PID {@value #JETTY_PID}) with this endpoint's validated host and port, so that
 * Jetty starts on ConfigAdmin's thread after READY. The next activation switches that configuration
 * off again before Jetty's bundle starts.
 */
@Component(immediate = true, configurationPid = ManagementEndpoint.PID)
@Designate(ocd = ManagementEndpoint.Config.class)
public class ManagementEndpoint {

    static final String PID = "org.modhub.management";
    /** Felix HTTP Jetty's configuration PID. */
    static final String JETTY_PID = "org.apache.felix.http";
    static final int MAX_BODY_BYTES = 8 * 1024;
    /** Longest wait for READY before Jetty is started anyway (a hub that never gets READY still gets its page). */
    static final long READY_WAIT_MS = 60_000;
    /** How long the hub must stay DEGRADED without READY before the endpoint starts anyway. */
    static final long DEGRADED_WAIT_MS = 5_000;
    private static final String LOG_PREFIX = "[org.modhub.management] ";

    @ObjectClassDefinition(id = PID, name = "modhub management endpoint",
            description = "Local HTTP endpoint (Felix Jetty): GET /health as JSON and the status page at /.")
    public @interface Config {
        @AttributeDefinition(name = "Host", description = "Address to listen on. Must be a loopback "
                + "address unless allowNonLoopback is true.")
        String host() default "127.0.0.1";

        @AttributeDefinition(name = "Port", min = "1", max = "65535", description = "TCP port to listen on.")
        int port() default 8040;

        @AttributeDefinition(name = "Allow non-loopback", description = "Serve on an address other "
                + "than loopback (the endpoint has no authentication: expose it with care).")
        boolean allowNonLoopback() default false;
    }

    /**
     * Framework property giving the port while the hub has no configuration for this PID: lets a
     * test or a second hub on the same machine run without touching the stored configuration. 0 (only
     * here, never in configuration) asks for any free port; the bound address is then the servlet
     * runtime's {@code osgi.http.endpoint} service property.
     */
    static final String PORT_PROPERTY = "modhub.management.port";

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile HubHealth health;

    /** Optional: ConfigurationAdmin keeps its data in the hub-core store and is missing when that store is corrupt. */
    volatile ConfigurationAdmin configAdmin;
    /** Set once this component has enabled Jetty. */
    private volatile boolean enabled;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setConfigAdmin(ConfigurationAdmin cm) {
        configAdmin = cm;
        if (!enabled) {
            // ConfigurationAdmin may come after this component's activation (it waits for the store)
            disableUntilReady();
        }
    }

    void unsetConfigAdmin(ConfigurationAdmin cm) {
        if (configAdmin == cm) {
            configAdmin = null;
        }
    }

    /** How long after READY (or DEGRADED) ConfigurationAdmin may take to appear before the fallback serves /health. */
    static final long CONFIG_ADMIN_WAIT_MS = 5_000;

    private volatile FallbackEndpoint fallback;

    private volatile Thread starter;
    private volatile EndpointSettings settings;

    @Activate
    void activate(BundleContext context, Config config, Map<String, Object> properties) {
        int port = config.port();
        boolean anyPort = false;
        String override = context.getProperty(PORT_PROPERTY);
        boolean configured = properties.containsKey("service.pid");
        if (!configured && override != null && !override.isBlank()) {
            try {
                port = Integer.parseInt(override.trim());
            } catch (NumberFormatException e) {
                String msg = "framework property " + PORT_PROPERTY + ": '" + override + "' is not a port number";
                System.err.println(LOG_PREFIX + "ERROR " + msg);
                throw new IllegalArgumentException(msg, e);
            }
            anyPort = port == 0;
        }
        try {
            settings = EndpointSettings.validate(config.host(), anyPort ? 1 : port, config.allowNonLoopback());
            if (anyPort) {
                settings = new EndpointSettings(new java.net.InetSocketAddress(settings.address().getAddress(), 0));
            }
        } catch (EndpointSettings.InvalidConfigurationException e) {
            // One line for the operator; the exception keeps the component from activating.
            System.err.println(LOG_PREFIX + "ERROR " + e.getMessage());
            throw e;
        }
        EndpointSettings s = settings;
        Thread t = new Thread(() -> startWhenReady(s), "modhub-management-start");
        t.setDaemon(true);
        starter = t;
        t.start();
    }

    /**
     * A configuration that enables HTTP, kept from the previous run, would start Jetty during start-up
     * (ConfigAdmin hands it to Jetty as soon as Jetty's bundle starts): switch it off first. This runs
     * before Jetty's bundle starts (hub-management starts earlier) and costs one read of the
     * configuration, plus one write only after a run that enabled Jetty.
     */
    private void disableUntilReady() {
        ConfigurationAdmin cm = configAdmin;
        if (cm == null) {
            return;
        }
        try {
            Configuration c = cm.getConfiguration(JETTY_PID, "?");
            Dictionary<String, Object> p = c.getProperties();
            if (p != null && Boolean.TRUE.equals(p.get("org.apache.felix.http.enable"))) {
                p.put("org.apache.felix.http.enable", Boolean.FALSE);
                c.update(p);
            }
        } catch (IOException | RuntimeException e) {
            System.err.println(LOG_PREFIX + "WARN cannot read the HTTP service configuration: " + e);
        }
    }

    /** Waits (on its own thread) until the hub is READY, then configures Jetty. */
    private void startWhenReady(EndpointSettings s) {
        long deadline = System.nanoTime() + READY_WAIT_MS * 1_000_000L;
        try {
            long degradedSince = 0;
            while (System.nanoTime() < deadline) {
                HubHealth h = health;
                if (h != null && h.readyAfter().isPresent()) {
                    break;
                }
                // A hub that stays DEGRADED before READY (a corrupt store) will not get there soon: serve
                // /health once it has been so for a while (components pass through DEGRADED while starting).
                boolean degraded = h != null && h.overall() == org.modhub.api.health.HealthState.DEGRADED;
                long now = System.nanoTime();
                degradedSince = degraded ? (degradedSince == 0 ? now : degradedSince) : 0;
                if (degraded && now - degradedSince > DEGRADED_WAIT_MS * 1_000_000L) {
                    break;
                }
                Thread.sleep(20);
            }
            if (Thread.currentThread() != starter) {
                return;
            }
            long cmDeadline = System.nanoTime() + CONFIG_ADMIN_WAIT_MS * 1_000_000L;
            while (configAdmin == null && System.nanoTime() < cmDeadline) {
                Thread.sleep(20);
            }
            ConfigurationAdmin cm = configAdmin;
            if (cm == null) {
                FallbackEndpoint f = new FallbackEndpoint(() -> health);
                f.start(s.address());
                fallback = f;
                System.err.println(LOG_PREFIX + "WARN no ConfigurationAdmin (is the store corrupt?): fallback endpoint on http://"
                        + hostAndPort(new EndpointSettings(f.boundAddress())) + "/health only");
                return;
            }
            enabled = true;
            Configuration c = cm.getConfiguration(JETTY_PID, "?");
            c.update(jettyProperties(s));
            System.out.println(LOG_PREFIX + "management endpoint on http://" + hostAndPort(s) + "/ (status page) and /health");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            System.err.println(LOG_PREFIX + "ERROR cannot configure the HTTP service (" + JETTY_PID + "): " + e);
        }
    }

    /** Felix Jetty's configuration for this endpoint: HTTP only, on the validated address, small and quiet. */
    static Dictionary<String, Object> jettyProperties(EndpointSettings s) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("org.apache.felix.http.enable", Boolean.TRUE);
        p.put("org.apache.felix.https.enable", Boolean.FALSE);
        p.put("org.apache.felix.http2.enable", Boolean.FALSE);
        p.put("org.apache.felix.http.host", s.address().getAddress().getHostAddress());
        p.put("org.osgi.service.http.port", s.address().getPort());
        p.put("org.apache.felix.http.jetty.sendServerHeader", Boolean.FALSE);
        // Oversized requests: headers over 8 KiB get 431, bodies over the limit 413, from Jetty itself.
        p.put("org.apache.felix.http.jetty.headerBufferSize", MAX_BODY_BYTES);
        p.put("org.apache.felix.http.jetty.requestSizeLimit", (long) MAX_BODY_BYTES * 2);
        p.put("org.apache.felix.http.jetty.maxFormSize", MAX_BODY_BYTES);
        // A hub serves one operator at a time: few threads.
        p.put("org.apache.felix.http.jetty.acceptors", 1);
        p.put("org.apache.felix.http.jetty.selectors", 1);
        p.put("org.apache.felix.http.jetty.threadpool.max", 8);
        p.put("org.apache.felix.http.mbeans", Boolean.FALSE);
        p.put("org.apache.felix.http.name", "modhub-management");
        return p;
    }

    @Deactivate
    void deactivate() {
        Thread t = starter;
        starter = null;
        if (t != null) {
            t.interrupt(); // never joined: it may be waiting on ConfigAdmin
        }
        FallbackEndpoint f = fallback;
        fallback = null;
        if (f != null) {
            f.stop();
        }
        // The configuration is left in place: removing it now would make Jetty restart while the
        // framework stops. The next activation switches it off before Jetty sees it (see activate).
    }

    EndpointSettings settings() {
        return settings;
    }

    FallbackEndpoint fallback() {
        return fallback;
    }

    private static String hostAndPort(EndpointSettings s) {
        String host = s.address().getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + s.address().getPort();
    }
}
