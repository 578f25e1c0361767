package org.modhub.mesh.gateway.internal;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Hashtable;
import java.util.Locale;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

/**
 * Dev-variant shell commands (scope {@code meshemu}) that put an emulated border gateway behind the real
 * mesh link: {@code meshemu:start} runs a {@link BorderGateway} on free loopback ports (emulated radio in
 * front, MQTT to the head-end broker the Kura session uses) and configures the link (PID
 * {@value #LINK_PID}) to reach it; {@code meshemu:prefer} changes the link's head-end preference (a live
 * swap between the cellular and the mesh session); {@code meshemu:status} shows the gateway;
 * {@code meshemu:stop} undoes it all. Does nothing until started (no Californium class is loaded on the
 * activation path), so the hub reaches READY and UP as fast without it.
 */
@Component(service = DevMeshShell.class, immediate = true, property = {"osgi.command.scope=meshemu",
    "osgi.command.function=start", "osgi.command.function=stop", "osgi.command.function=prefer",
    "osgi.command.function=status"})
public final class DevMeshShell {
    static final String LINK_PID = "org.modhub.wan.mesh";
    /** Marks the link configurations this shell creates. */
    static final String MARKER = "modhub.emulated.gateway";
    static final String BROKER_PROPERTY = "modhub.headend.broker";
    static final String IDENTITY = "modhub-dev-hub";

    private final ConfigurationAdmin cm;
    private final Logger log;
    private final BundleContext context;
    private BorderGateway gateway;
    private Configuration config;
    private int preference = 5;

    @Activate
    public DevMeshShell(@Reference ConfigurationAdmin cm, @Reference(service = LoggerFactory.class) Logger log,
            BundleContext context) {
        this.cm = cm;
        this.log = log;
        this.context = context;
        removeStaleConfigurations();
    }

    /**
     * A hub killed while the emulated gateway ran keeps the link's configuration (it is persisted), but the
     * gateway it names is gone: delete configurations this shell made, so the link does not start DOWN.
     */
    private void removeStaleConfigurations() {
        try {
            Configuration[] stale = cm.listConfigurations("(&(service.pid=" + LINK_PID + ")(" + MARKER + "=true))");
            if (stale != null) {
                for (Configuration c : stale) {
                    log.info("deleting the configuration of {} left by an earlier emulated gateway", LINK_PID);
                    c.delete();
                }
            }
        } catch (IOException | InvalidSyntaxException | RuntimeException e) {
            log.warn("could not look for stale configurations of {}: {}", LINK_PID, e.toString());
        }
    }

    @Deactivate
    synchronized void deactivate() {
        stop();
    }

    /** {@code meshemu:start}: the gateway at the default radio (40 ms latency, 10 ms jitter, no loss). */
    public String start() throws IOException {
        return start(40, 0);
    }

    /** {@code meshemu:start LATENCY_MS LOSS_PERCENT}. */
    public synchronized String start(int latencyMs, int lossPercent) throws IOException {
        if (gateway != null) {
            return "already running: " + status();
        }
        if (lossPercent < 0 || lossPercent > 99) {
            throw new IllegalArgumentException("loss percent out of 0..99: " + lossPercent);
        }
        String broker = context.getProperty(BROKER_PROPERTY);
        if (broker == null || broker.isBlank()) {
            broker = "tcp://127.0.0.1:1883";
        }
        String hubId = context.getProperty("modhub.hub.id");
        // the client id the Kura session uses by default: the hub id as 16 hex digits
        String clientId = hubId == null || hubId.isBlank() ? "0000000000000001"
                : hubId.replaceAll("[-: ]", "").toUpperCase(Locale.ROOT);
        byte[] secret = new byte[16];
        new SecureRandom().nextBytes(secret);
        BorderGateway g = new BorderGateway(GatewaySettings.loopback(
                new RadioRelay.Radio(latencyMs, latencyMs / 4, lossPercent / 100.0, 1024, System.nanoTime()), broker,
                IDENTITY, secret, "modhub", clientId), new GatewayLog() {
                    @Override
                    public void info(String message) {
                        log.info(message);
                    }

                    @Override
                    public void warn(String message) {
                        log.warn(message);
                    }
                });
        g.start();
        gateway = g;
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("gatewayUri", g.meshUri());
        p.put("bindAddress", "127.0.0.1");
        p.put("pskIdentity", IDENTITY);
        p.put("pskSecret", HexFormat.of().formatHex(secret));
        p.put("headend.preference", preference);
        p.put(MARKER, true);
        config = cm.getConfiguration(LINK_PID, "?");
        config.update(p);
        return "emulated border gateway started: " + status() + "; mesh link configured (" + LINK_PID
                + ", headend.preference " + preference + ")";
    }

    /**
     * {@code meshemu:prefer N}: the mesh session's head-end preference. Above the Kura session's (default
     * 10) the outbox swaps to the mesh at once; below, back to the cellular session.
     */
    public synchronized String prefer(int newPreference) throws IOException {
        preference = newPreference;
        if (config == null) {
            return "not running; the preference applies at meshemu:start";
        }
        Hashtable<String, Object> p = new Hashtable<>();
        java.util.Dictionary<String, Object> current = config.getProperties();
        if (current != null) {
            for (java.util.Enumeration<String> keys = current.keys(); keys.hasMoreElements();) {
                String k = keys.nextElement();
                p.put(k, current.get(k));
            }
        }
        p.put("headend.preference", newPreference);
        config.update(p);
        return "mesh link headend.preference " + newPreference;
    }

    public synchronized String status() {
        BorderGateway g = gateway;
        if (g == null) {
            return "emulated border gateway not running (meshemu:start)";
        }
        RadioRelay r = g.radio();
        return "gateway CoAP/DTLS " + g.coapAddress() + ", radio " + g.meshAddress() + " " + g.settings().radio()
                + ", broker " + g.settings().brokerUri() + (g.brokerConnected() ? " (connected)" : " (not connected)")
                + ", topics " + g.settings().account() + "/" + g.settings().clientId() + "/..., published "
                + g.published() + ", relayed " + (r == null ? 0 : r.relayed()) + ", dropped "
                + (r == null ? 0 : r.dropped());
    }

    public synchronized String stop() {
        StringBuilder out = new StringBuilder();
        if (config != null) {
            try {
                config.delete();
                out.append("mesh link configuration deleted; ");
            } catch (IOException | IllegalStateException e) {
                log.warn("cannot delete the configuration of {}: {}", LINK_PID, e.toString());
            }
            config = null;
        }
        if (gateway != null) {
            gateway.stop();
            gateway = null;
            out.append("emulated border gateway stopped");
        }
        return out.length() == 0 ? "not running" : out.toString();
    }
}
