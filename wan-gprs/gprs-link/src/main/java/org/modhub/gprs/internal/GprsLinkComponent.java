package org.modhub.gprs.internal;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.HubEvent;
import org.modhub.api.event.Severity;
import org.modhub.api.health.ComponentHealth;
import org.modhub.api.health.HealthContributor;
import org.modhub.api.health.HealthState;
import org.modhub.api.store.StateStore;
import org.modhub.api.wan.LinkProperties;
import org.modhub.api.wan.LinkState;
import org.modhub.api.wan.LinkStatus;
import org.modhub.api.wan.WanLink;
import org.modhub.gprs.internal.at.JSerialCommLine;
import org.modhub.gprs.internal.at.Registration;
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
 * The cellular modem WAN link: one component per configuration of PID {@value #PID} (required: the
 * serial port has no sensible default). Registers itself as {@link WanLink} (technology
 * {@value #TECHNOLOGY_NAME}) from {@code @Activate}, not through DS, so that {@value WanLink#STATE} and
 * {@value WanLink#SIGNAL_DBM} change on the same registration (consumers see service-modified events),
 * and as {@link HealthContributor} through DS. The modem itself is driven by a {@link ModemController}.
 *
 * <p>Events go to the hub's {@link EventLog} on their own thread (the modem thread never waits for the
 * store); the refused-PIN marker goes to the {@link StateStore}. Both are optional: without them the
 * link works and logs only.
 */
@Component(name = GprsLinkComponent.PID, configurationPid = GprsLinkComponent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true, service = HealthContributor.class)
@Designate(ocd = GprsConfig.class)
public final class GprsLinkComponent implements WanLink, HealthContributor {
    public static final String PID = "org.modhub.wan.gprs";
    public static final String TECHNOLOGY_NAME = "gprs";
    static final String SOURCE = "gprs-link";
    static final String NAMESPACE = "org.modhub.gprs-link";
    /** Service properties beyond hub-api's: what the modem reports. */
    public static final String PROP_OPERATOR = "gprs.operator";
    public static final String PROP_REGISTRATION = "gprs.registration";
    public static final String PROP_ACCESS_TECHNOLOGY = "gprs.access.technology";
    public static final String PROP_PDP_ADDRESS = "gprs.pdp.address";
    public static final String PROP_IMEI = "gprs.imei";
    public static final String PROP_REASON = "wan.state.reason";

    private final Logger log;
    private final GprsSettings settings;
    private final ModemController controller;
    private final ThreadPoolExecutor eventWriter;
    private final AtomicLong droppedEvents = new AtomicLong();
    private final ServiceRegistration<?> registration;
    private final ServiceRegistration<?> commands;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile EventLog eventLog;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile StateStore stateStore;

    @Activate
    public GprsLinkComponent(BundleContext context, @Reference(service = LoggerFactory.class) Logger log,
            GprsConfig config) {
        this.log = log;
        try {
            this.settings = GprsSettings.from(config);
        } catch (IllegalArgumentException e) {
            log.error(e.getMessage());
            throw e;
        }
        this.eventWriter = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(512), r -> {
            Thread t = new Thread(r, "modhub-gprs-events");
            t.setDaemon(true);
            return t;
        }, (r, ex) -> droppedEvents.incrementAndGet());
        this.controller = new ModemController(settings,
                s -> JSerialCommLine.open(s.port(), s.baudRate(), 200, Math.max(1000, s.commandTimeoutMs())),
                new Host());
        this.registration = context.registerService(WanLink.class.getName(), this, properties(controller.snapshot()));
        Hashtable<String, Object> cmd = new Hashtable<>();
        cmd.put("osgi.command.scope", "gprs");
        cmd.put("osgi.command.function", new String[] {"status"});
        this.commands = context.registerService(Object.class.getName(), new GprsCommands(this), cmd);
        log.info("cellular modem link starting: {}", settings);
        controller.start();
    }

    @Deactivate
    void deactivate() {
        controller.close();
        for (ServiceRegistration<?> r : new ServiceRegistration<?>[] {commands, registration}) {
            try {
                r.unregister();
            } catch (IllegalStateException e) {
                // already gone
            }
        }
        eventWriter.shutdown();
        try {
            eventWriter.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- WanLink

    @Override
    public String technology() {
        return TECHNOLOGY_NAME;
    }

    @Override
    public LinkStatus status() {
        return controller.snapshot().status();
    }

    @Override
    public LinkProperties properties() {
        LinkSnapshot s = controller.snapshot();
        return new LinkProperties(settings.mtu(), Registration.nominalBandwidth(s.accessTechnology()), settings.metered(),
                s.signalDbm());
    }

    // ---- HealthContributor

    @Override
    public ComponentHealth health() {
        LinkSnapshot s = controller.snapshot();
        if (s.state() == LinkState.UP) {
            return ComponentHealth.up(PID);
        }
        return new ComponentHealth(PID, HealthState.DEGRADED, "cellular link " + s.state() + ": " + s.reason());
    }

    LinkSnapshot snapshot() {
        return controller.snapshot();
    }

    GprsSettings settings() {
        return settings;
    }

    private Dictionary<String, Object> properties(LinkSnapshot s) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(WanLink.TECHNOLOGY, TECHNOLOGY_NAME);
        p.put(WanLink.STATE, s.state().name());
        p.put(PROP_REASON, s.reason());
        s.signalDbm().ifPresent(d -> p.put(WanLink.SIGNAL_DBM, d));
        if (!settings.interfaceName().isEmpty()) {
            p.put(WanLink.INTERFACE, settings.interfaceName());
        }
        if (!settings.bindAddress().isEmpty()) {
            p.put(WanLink.BIND_ADDRESS, settings.bindAddress());
        }
        s.operator().ifPresent(o -> p.put(PROP_OPERATOR, o));
        s.registration().ifPresent(r -> p.put(PROP_REGISTRATION, r.name()));
        s.accessTechnology().ifPresent(a -> p.put(PROP_ACCESS_TECHNOLOGY, Registration.technologyName(a)));
        s.pdpAddress().ifPresent(a -> p.put(PROP_PDP_ADDRESS, a));
        s.imei().ifPresent(i -> p.put(PROP_IMEI, i));
        p.put(Constants.SERVICE_DESCRIPTION, "modhub cellular modem link on " + settings.port());
        return p;
    }

    private final class Host implements ModemController.Host {
        @Override
        public void changed(LinkSnapshot snapshot) {
            ServiceRegistration<?> r = registration;
            if (r != null) { // null only during construction: the registration starts from the snapshot
                try {
                    r.setProperties(properties(snapshot));
                } catch (IllegalStateException e) {
                    // unregistered by deactivate
                }
            }
        }

        @Override
        public void event(EventKind kind, String code, Severity severity, String detail) {
            HubEvent e = HubEvent.of(kind, code, severity, null, SOURCE, detail);
            eventWriter.execute(() -> {
                EventLog el = eventLog;
                if (el == null) {
                    return;
                }
                try {
                    long dropped = droppedEvents.getAndSet(0);
                    if (dropped > 0) {
                        el.log(HubEvent.of(EventKind.EVENT, "GPRS_EVENTS_DROPPED", Severity.WARNING, null, SOURCE,
                                dropped + " events dropped: the event log did not keep up"));
                    }
                    el.log(e);
                } catch (RuntimeException ex) {
                    log.warn("could not log event {}: {}", code, ex.toString());
                }
            });
        }

        @Override
        public void log(Severity level, String message) {
            switch (level) {
                case DEBUG -> log.debug(message);
                case INFO -> log.info(message);
                case WARNING -> log.warn(message);
                default -> log.error(message);
            }
        }

        @Override
        public Optional<byte[]> loadState(String key) {
            StateStore s = stateStore;
            try {
                return s == null ? Optional.empty() : s.get(NAMESPACE, key);
            } catch (RuntimeException e) {
                log.warn("state store: {}", e.toString());
                return Optional.empty();
            }
        }

        @Override
        public void storeState(String key, byte[] value) {
            StateStore s = stateStore;
            try {
                if (s != null) {
                    s.put(NAMESPACE, key, value);
                }
            } catch (RuntimeException e) {
                log.warn("state store: {}", e.toString());
            }
        }

        @Override
        public void removeState(String key) {
            StateStore s = stateStore;
            try {
                if (s != null) {
                    s.remove(NAMESPACE, key);
                }
            } catch (RuntimeException e) {
                log.warn("state store: {}", e.toString());
            }
        }
    }
}
