package org.modhub.headend.kura.internal;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.modhub.api.cloud.CloudRequestHandler;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.HubEvent;
import org.modhub.api.event.Severity;
import org.modhub.api.health.ComponentHealth;
import org.modhub.api.health.HealthContributor;
import org.modhub.api.wan.HeadEndSession;
import org.modhub.api.wan.LinkState;
import org.modhub.api.wan.WanLink;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The Kura-compatible head-end session as a component. It follows every {@link WanLink} (greedy,
 * dynamic) and runs the MQTT session while one of the configured IP technologies is usable; it
 * registers the session as {@link HeadEndSession} itself (so its {@value WanLink#TECHNOLOGY}
 * property follows the link it runs over) and reports its connection as a {@link HealthContributor}.
 * {@link CloudRequestHandler} services are its applications (whiteboard).
 *
 * <p>It activates without a broker: connecting happens on its own thread, with backoff. Without a
 * configured broker URI (PID field or framework property {@value #BROKER_PROPERTY}) it stays off and
 * healthy, and registers no {@code HeadEndSession}.
 */
@Component(configurationPid = KuraSessionComponent.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL,
        immediate = true, service = HealthContributor.class)
@Designate(ocd = KuraSessionConfig.class)
public final class KuraSessionComponent implements HealthContributor, SessionHost {
    public static final String PID = "org.modhub.headend.kura";
    /** Framework property: broker URI when the configuration names none (for the dev hub). */
    public static final String BROKER_PROPERTY = "modhub.headend.broker";
    static final String IP = "ip";

    private final Logger log;
    private final KuraSession session;
    private final KuraSettings settings;
    private final CloudApps apps = new CloudApps();
    private final Map<ServiceKey, LinkInfo> links = new ConcurrentHashMap<>();
    private final String firmwareVersion;
    private volatile EventLog eventLog;
    private ServiceRegistration<HeadEndSession> registration;
    private volatile String registeredTechnology = IP;

    record ServiceKey(long id) {
    }

    record LinkInfo(String technology, LinkState state, Integer signalDbm) {
    }

    @Activate
    public KuraSessionComponent(BundleContext context, @Reference(service = LoggerFactory.class) Logger log,
            KuraSessionConfig config) {
        this.log = log;
        String hubId = context.getProperty("modhub.hub.id");
        try {
            settings = KuraSettings.from(config, context.getProperty(BROKER_PROPERTY), hubId);
        } catch (IllegalArgumentException e) {
            log.error(e.getMessage());
            throw e;
        }
        if (hubId == null || hubId.isBlank()) {
            log.warn("no framework property modhub.hub.id: client id {}", settings.clientId());
        }
        this.firmwareVersion = coreVersion(context);
        this.session = new KuraSession(settings, apps, this, IP);
        if (!settings.enabled()) {
            // no session service at all: nothing may mistake an unconfigured session for a path
            log.info("no broker configured ({} brokerUri or framework property {}): head-end session off", PID,
                    BROKER_PROPERTY);
            return;
        }
        // links and handlers bound before activation are in the maps already
        session.start();
        updateLinks();
        if (settings.enabled()) {
            // no broker, no session to offer: the outbox and the other WAN sessions see none
            registration = context.registerService(HeadEndSession.class, session, serviceProperties());
        }
    }

    @Deactivate
    void deactivate() {
        ServiceRegistration<HeadEndSession> reg = registration;
        registration = null;
        if (reg != null) {
            try {
                reg.unregister();
            } catch (IllegalStateException e) {
                // gone already
            }
        }
        session.close();
    }

    private Hashtable<String, Object> serviceProperties() {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(WanLink.TECHNOLOGY, registeredTechnology);
        props.put(HeadEndSession.PREFERENCE, settings.preference());
        props.put("headend.protocol", "kura-mqtt");
        props.put(Constants.SERVICE_DESCRIPTION, "modhub Kura-compatible head-end session");
        return props;
    }

    private static String coreVersion(BundleContext context) {
        for (Bundle b : context.getBundles()) {
            if ("org.modhub.hub-core".equals(b.getSymbolicName())) {
                return b.getVersion().toString();
            }
        }
        return context.getBundle().getVersion().toString();
    }

    // ---- WAN links ----

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addLink(WanLink link, Map<String, Object> props) {
        links.put(key(props), info(props));
        updateLinksIfActive();
    }

    void updatedLink(WanLink link, Map<String, Object> props) {
        links.put(key(props), info(props));
        updateLinksIfActive();
    }

    void removeLink(WanLink link, Map<String, Object> props) {
        links.remove(key(props));
        updateLinksIfActive();
    }

    private static ServiceKey key(Map<String, Object> props) {
        return new ServiceKey(((Number) props.get(Constants.SERVICE_ID)).longValue());
    }

    private static LinkInfo info(Map<String, Object> props) {
        Object t = props.get(WanLink.TECHNOLOGY);
        LinkState state;
        try {
            state = LinkState.valueOf(String.valueOf(props.get(WanLink.STATE)));
        } catch (IllegalArgumentException e) {
            state = LinkState.DOWN;
        }
        Object s = props.get(WanLink.SIGNAL_DBM);
        Integer signal = s instanceof Number n ? n.intValue() : null;
        return new LinkInfo(t == null ? "" : t.toString(), state, signal);
    }

    private void updateLinksIfActive() {
        if (session != null) {
            updateLinks();
        }
    }

    /** The best usable link the session runs over: UP before DEGRADED. */
    private LinkInfo bestLink() {
        LinkInfo best = null;
        for (LinkInfo l : links.values()) {
            if (!l.state().isUsable() || !settings.carriedBy(l.technology())) {
                continue;
            }
            if (best == null || (best.state() != LinkState.UP && l.state() == LinkState.UP)) {
                best = l;
            }
        }
        return best;
    }

    private synchronized void updateLinks() {
        LinkInfo best = bestLink();
        session.linkChanged(best != null, best == null ? "" : best.technology());
        String tech = best == null ? IP : best.technology();
        if (!tech.equals(registeredTechnology)) {
            registeredTechnology = tech;
            ServiceRegistration<HeadEndSession> reg = registration;
            if (reg != null) {
                try {
                    reg.setProperties(serviceProperties());
                } catch (IllegalStateException e) {
                    // unregistered concurrently
                }
            }
        }
    }

    // ---- cloud applications ----

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addHandler(CloudRequestHandler handler, Map<String, Object> props) {
        Object id = props.get(CloudRequestHandler.APP_ID);
        String appId = id == null ? null : id.toString();
        if (!CloudApps.validAppId(appId)) {
            log.error("cloud request handler {} ignored: property {}='{}' is not an application id",
                    props.get(Constants.SERVICE_ID), CloudRequestHandler.APP_ID, appId);
            return;
        }
        Object r = props.get(Constants.SERVICE_RANKING);
        apps.add(new CloudApps.Entry(appId, r instanceof Integer i ? i : 0,
                ((Number) props.get(Constants.SERVICE_ID)).longValue(), handler));
        if (session != null) {
            session.appsChanged();
        }
    }

    void removeHandler(CloudRequestHandler handler) {
        if (apps.remove(handler) && session != null) {
            session.appsChanged();
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile org.modhub.api.security.TlsIdentity tlsIdentity;

    @Override
    public org.modhub.api.security.TlsIdentity tlsIdentity() {
        return tlsIdentity;
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setEventLog(EventLog events) {
        this.eventLog = events;
    }

    void unsetEventLog(EventLog events) {
        if (this.eventLog == events) {
            this.eventLog = null;
        }
    }

    // ---- HealthContributor and SessionHost ----

    @Override
    public ComponentHealth health() {
        return session.health();
    }

    @Override
    public void log(Level level, String message) {
        switch (level) {
            case DEBUG -> log.debug(message);
            case INFO -> log.info(message);
            case WARN -> log.warn(message);
            case ERROR -> log.error(message);
        }
    }

    @Override
    public void event(String code, Severity severity, String detail) {
        EventLog events = eventLog;
        if (events != null) {
            try {
                events.log(HubEvent.of(EventKind.EVENT, code, severity, null, KuraSession.SOURCE, detail));
            } catch (RuntimeException e) {
                log.error("cannot log event {}: {}", code, e.getMessage());
            }
        }
    }

    @Override
    public Map<String, Object> hubMetrics() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("firmware_version", firmwareVersion);
        LinkInfo best = bestLink();
        m.put("connection_interface", best == null ? "" : best.technology());
        if (best != null && best.signalDbm() != null) {
            m.put("modem_rssi", best.signalDbm());
        }
        return m;
    }
}
