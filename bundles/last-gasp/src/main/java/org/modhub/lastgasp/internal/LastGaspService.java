package org.modhub.lastgasp.internal;

import java.lang.management.ManagementFactory;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Random;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.HubEvent;
import org.modhub.api.event.Severity;
import org.modhub.api.health.ComponentHealth;
import org.modhub.api.health.HealthContributor;
import org.modhub.api.messaging.Envelope;
import org.modhub.api.messaging.MessageRouter;
import org.modhub.api.messaging.PreparedAlert;
import org.modhub.api.power.PowerMonitor;
import org.modhub.api.power.PowerStatus;
import org.modhub.api.store.StateStore;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Power-outage handling of the hub: follows the {@link PowerMonitor} with the highest ranking,
 * keeps the outage record in the {@link StateStore}, logs outages in the {@link EventLog} and sends
 * the power-outage ("last gasp") and restore alerts through the {@link MessageRouter}. The logic is
 * in {@link OutageTracker}.
 */
@Component(service = HealthContributor.class, immediate = true, configurationPid = LastGaspService.PID)
@Designate(ocd = LastGaspService.Config.class)
public class LastGaspService implements HealthContributor {
    public static final String PID = "org.modhub.lastgasp";
    static final String NAMESPACE = "org.modhub.last-gasp";
    static final String KEY = "outage";
    static final String SOURCE = "last-gasp";

    @ObjectClassDefinition(name = "modhub last gasp", description = "Power-outage records and alerts.")
    public @interface Config {
        @AttributeDefinition(description = "Send power-outage and restore alerts. False: outages are recorded "
                + "locally only (hubs that are not outage reporters).")
        boolean reportOutages() default true;

        @AttributeDefinition(min = "0", max = "3600000", description = "Time power must stay off before the "
                + "power-outage alert is sent (ms).")
        long qualificationMs() default 180_000;

        @AttributeDefinition(min = "0", max = "86400000", description = "An off period at least this long is "
                + "reported with the long-outage restore code (ms).")
        long longOutageMs() default 180_000;

        @AttributeDefinition(min = "0", max = "3600000", description = "A loss within this time after a short "
                + "outage ended continues the same record (ms).")
        long flapWindowMs() default 60_000;

        @AttributeDefinition(min = "0", max = "86400000", description = "Shortest random delay of a restore alert (ms).")
        long restoreDelayMinMs() default 0;

        @AttributeDefinition(min = "0", max = "86400000", description = "Longest random delay of a restore alert (ms).")
        long restoreDelayMaxMs() default 300_000;

        @AttributeDefinition(min = "0", max = "65535", description = "Message code of the power-outage alert "
                + "(default 0x8F34; unverified against GBCS, set it for your head end).")
        int outageAlertCode() default 0x8F34;

        @AttributeDefinition(min = "0", max = "65535", description = "Message code of the restore alert after a "
                + "short outage (GBCS 0x8F35).")
        int restoredAlertCode() default 0x8F35;

        @AttributeDefinition(min = "0", max = "65535", description = "Message code of the restore alert after an "
                + "outage of at least longOutageMs (GBCS 0x8F36).")
        int restoredLongAlertCode() default 0x8F36;

        @AttributeDefinition(description = "The hub's entity id (EUI-64). Empty: framework property modhub.hub.id.")
        String hubId() default "";

        @AttributeDefinition(description = "Recipient of the alerts: the network operator's entity id (EUI-64).")
        String recipient() default "00-00-00-00-00-00-00-00";
    }

    private final Logger log;
    private final StateStore state;
    private final EventLog events;
    private final MessageRouter router;
    private final BundleContext context;
    private final ExecutorScheduler scheduler = new ExecutorScheduler("modhub-last-gasp");
    private final OutageTracker tracker;
    private volatile PowerMonitor monitor;
    private boolean started;
    private boolean active;

    @Activate
    public LastGaspService(@Reference StateStore state, @Reference EventLog events, @Reference MessageRouter router,
            @Reference(service = LoggerFactory.class) Logger log, BundleContext context, Config config) {
        this.log = log;
        this.state = state;
        this.events = events;
        this.router = router;
        this.context = context;
        Settings settings = settings(config);
        // each hub its own seed, so a street of hubs spreads its restore alerts
        Random random = new Random(new SecureRandom().nextLong());
        this.tracker = new OutageTracker(settings, scheduler, random, new StoreSink(), null);
    }

    @Activate
    synchronized void activate() {
        active = true;
        PowerMonitor m = monitor;
        if (m != null) {
            startTracker(m);
        }
    }

    @Modified
    void modified(Config config) {
        tracker.reconfigure(settings(config));
        log.info("{} reconfigured", PID);
    }

    @Deactivate
    synchronized void deactivate() {
        active = false;
        tracker.stop();
        scheduler.close();
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, updated = "updatedMonitor", unbind = "unsetMonitor")
    synchronized void setMonitor(PowerMonitor m) {
        monitor = m;
        if (!active) {
            return;
        }
        if (started) {
            tracker.observe(m.status());
        } else {
            startTracker(m);
        }
    }

    void updatedMonitor(PowerMonitor m) {
        if (active && started) {
            tracker.observe(m.status());
        }
    }

    synchronized void unsetMonitor(PowerMonitor m) {
        if (monitor == m) {
            monitor = null;
        }
    }

    private void startTracker(PowerMonitor m) {
        PowerStatus initial = m.status();
        Optional<OutageRecord> stored = Optional.empty();
        Optional<byte[]> bytes = state.get(NAMESPACE, KEY);
        if (bytes.isPresent()) {
            try {
                stored = Optional.of(OutageRecord.decode(bytes.get()));
            } catch (OutageRecord.MalformedRecordException e) {
                log.error("{}: stored outage record unreadable, discarded: {}", PID, e.getMessage());
                event(OutageTracker.POWER_RECORD_UNREADABLE, Severity.ERROR, e.getMessage());
                state.remove(NAMESPACE, KEY);
            }
        }
        Instant processStart = Instant.ofEpochMilli(ManagementFactory.getRuntimeMXBean().getStartTime());
        tracker.start(initial, stored, processStart);
        started = true;
        log.info("following power monitor of '{}': {}{}", m.supply(), initial,
                stored.map(r -> "; resumed outage record " + r.phase() + " since " + r.start()).orElse(""));
    }

    @Override
    public ComponentHealth health() {
        if (monitor == null) {
            return ComponentHealth.degraded(PID, "no power monitor: outages cannot be detected");
        }
        return ComponentHealth.up(PID);
    }

    private Settings settings(Config c) {
        try {
            String id = c.hubId().isBlank() ? context.getProperty("modhub.hub.id") : c.hubId();
            Eui64 hubId;
            if (id == null || id.isBlank()) {
                hubId = Eui64.parse("00-00-00-00-00-00-00-01");
            } else {
                hubId = parse(id, "hubId");
            }
            return new Settings(c.reportOutages(), millis(c.qualificationMs(), "qualificationMs"),
                    millis(c.longOutageMs(), "longOutageMs"), millis(c.flapWindowMs(), "flapWindowMs"),
                    millis(c.restoreDelayMinMs(), "restoreDelayMinMs"), millis(c.restoreDelayMaxMs(), "restoreDelayMaxMs"),
                    c.outageAlertCode(), c.restoredAlertCode(), c.restoredLongAlertCode(), hubId,
                    parse(c.recipient(), "recipient"));
        } catch (Settings.InvalidSetting e) {
            log.error("configuration {} refused: field {}", PID, e.getMessage());
            throw e;
        }
    }

    private static Duration millis(long ms, String field) {
        if (ms < 0) {
            throw new Settings.InvalidSetting(field, "must be zero or more: " + ms);
        }
        return Duration.ofMillis(ms);
    }

    private static Eui64 parse(String text, String field) {
        try {
            return Eui64.parse(text);
        } catch (IllegalArgumentException e) {
            throw new Settings.InvalidSetting(field, e.getMessage());
        }
    }

    private void event(String code, Severity severity, String detail) {
        try {
            events.log(HubEvent.of(EventKind.EVENT, code, severity, null, SOURCE, detail));
        } catch (RuntimeException e) {
            log.error("cannot log event {} ({}): {}", code, detail, e.getMessage());
        }
    }

    /** The tracker's effects, into hub-core. */
    private final class StoreSink implements OutageTracker.Sink {
        @Override
        public void persist(OutageRecord record) {
            state.put(NAMESPACE, KEY, record.encode());
        }

        @Override
        public void clear() {
            state.remove(NAMESPACE, KEY);
        }

        @Override
        public void event(String code, Severity severity, String detail) {
            if (severity.compareTo(Severity.WARNING) >= 0) {
                log.warn("{}: {}", code, detail);
            } else {
                log.info("{}: {}", code, detail);
            }
            LastGaspService.this.event(code, severity, detail);
        }

        @Override
        public void alert(Envelope alert, int priority) {
            router.alert(alert, priority);
        }

        @Override
        public PreparedAlert prepare(Envelope alert, Instant due) {
            return router.prepareAlert(alert, due);
        }

        @Override
        public void alert(PreparedAlert prepared, int priority) {
            router.alert(prepared, priority);
        }
    }
}
