package org.modhub.core.internal.health;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.modhub.api.health.ComponentHealth;
import org.modhub.api.health.HealthContributor;
import org.modhub.api.health.HealthState;
import org.modhub.api.health.HubHealth;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.component.runtime.dto.UnsatisfiedReferenceDTO;
import org.osgi.service.component.runtime.dto.ReferenceDTO;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

/**
 * The hub's health from Declarative Services' own view of every modhub component (bundles whose
 * symbolic name starts with {@code org.modhub.}) plus what {@link HealthContributor}s report. Logs
 * {@code modhub READY in <ms> ms} (time since JVM start) once the framework has started every bundle
 * (but those kept for after READY, below) and every modhub component is active or satisfied.
 * <p>
 * Bundles that are not needed to run the hub but only to look at it (the management endpoint and its web
 * stack) sit at the start level named by the framework property {@value #AFTER_READY_LEVEL}, above the
 * beginning level: once the hub is READY the framework is raised to that level, so they start after the hub instead of competing with it.
 */
@Component(service = HubHealth.class, immediate = true)
public class HealthMonitor implements HubHealth {
    static final String PREFIX = "org.modhub.";
    /** Framework property: the start level the framework is raised to once the hub is READY. */
    static final String AFTER_READY_LEVEL = "modhub.startlevel.after.ready";

    private final BundleContext context;
    private final ServiceComponentRuntime scr;
    private final Logger log;
    private final int afterReadyLevel;
    /** How long the hub may stay DEGRADED before READY until the kept bundles start anyway. */
    static final long DEGRADED_WAIT_MS = 5_000;
    /** Longest wait for READY before the kept bundles start anyway. */
    static final long READY_WAIT_MS = 60_000;
    private final long started = System.nanoTime();
    private long lastStuckCheck;
    private long degradedSince;
    private boolean raisedEarly;
    private final List<HealthContributor> contributors = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService timer;
    private volatile Duration readyAfter;
    /** Time of the last service event: components that become active usually register or get services. */
    private volatile long lastServiceEvent = System.nanoTime();
    private final ServiceListener changes = e -> lastServiceEvent = System.nanoTime();
    private long lastFullCheck;

    @Activate
    public HealthMonitor(BundleContext context, @Reference ServiceComponentRuntime scr,
            @Reference(service = LoggerFactory.class) Logger log) {
        this.context = context;
        this.scr = scr;
        this.log = log;
        this.afterReadyLevel = afterReadyLevel(context, log);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "modhub-health");
            t.setDaemon(true);
            return t;
        });
        context.addServiceListener(changes);
        timer.scheduleWithFixedDelay(this::checkReady, 0, 10, TimeUnit.MILLISECONDS);
    }

    @Deactivate
    void deactivate() {
        removeChangeListener();
        timer.shutdownNow();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addContributor(HealthContributor c) {
        contributors.add(c);
    }

    void removeContributor(HealthContributor c) {
        contributors.remove(c);
    }

    private void checkReady() {
        if (readyAfter != null) {
            return;
        }
        if (!readyNow()) {
            raiseIfStuck();
            return;
        }
        long ms = System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
        readyAfter = Duration.ofMillis(ms);
        String line = "modhub READY in " + ms + " ms";
        System.out.println(line);
        log.info(line);
        removeChangeListener();
        timer.shutdown();
        raiseAfterReady();
    }

    private boolean readyNow() {
        try {
            Bundle system = context.getBundle(0);
            if (system.getState() != Bundle.ACTIVE) {
                return false;
            }
            for (Bundle b : context.getBundles()) {
                BundleRevision revision = b.adapt(BundleRevision.class);
                boolean fragment = revision != null && (revision.getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
                BundleStartLevel bundleLevel = b.adapt(BundleStartLevel.class);
                boolean kept = afterReadyLevel > 0 && bundleLevel != null && bundleLevel.getStartLevel() >= afterReadyLevel;
                if (!fragment && !kept && b.getState() != Bundle.ACTIVE) {
                    return false;
                }
            }
            // DS's DTOs cost a walk over every component (~3 ms while the JVM is still cold): look once
            // the services have been quiet for 10 ms after a change (components activating one after
            // another register services all the time), or every 100 ms whatever happens
            long now = System.nanoTime();
            long event = lastServiceEvent;
            boolean settled = event > lastFullCheck && now - event >= 10_000_000L;
            if (!settled && now - lastFullCheck < 100_000_000L) {
                return false;
            }
            lastFullCheck = now;
            for (ComponentHealth c : componentStates()) {
                if (c.state() != HealthState.UP) {
                    return false;
                }
            }
            return true;
        } catch (IllegalStateException e) {
            return false; // framework stopping
        }
    }

    /**
     * A hub that does not get READY (a corrupt store, a refused configuration) still starts the bundles
     * kept for after READY, so the management endpoint can say why: once it has been DEGRADED for
     * {@value #DEGRADED_WAIT_MS} ms, or {@value #READY_WAIT_MS} ms after this monitor started.
     */
    private void raiseIfStuck() {
        if (afterReadyLevel <= 0 || raisedEarly) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastStuckCheck < 250_000_000L) {
            return;
        }
        lastStuckCheck = now;
        boolean degraded;
        try {
            degraded = overall() == HealthState.DEGRADED;
        } catch (RuntimeException e) {
            return;
        }
        degradedSince = degraded ? (degradedSince == 0 ? now : degradedSince) : 0;
        boolean longDegraded = degraded && now - degradedSince > DEGRADED_WAIT_MS * 1_000_000L;
        if (longDegraded || now - started > READY_WAIT_MS * 1_000_000L) {
            raisedEarly = true;
            log.warn("the hub is not READY ({}): starting the bundles kept for after READY (start level {}) anyway",
                    longDegraded ? "DEGRADED" : "still starting", afterReadyLevel);
            raiseAfterReady();
        }
    }

    /** The level of the bundles that start after READY, 0 when the framework property is not set. */
    private static int afterReadyLevel(BundleContext context, Logger log) {
        String value = context.getProperty(AFTER_READY_LEVEL);
        if (value == null || value.isBlank()) {
            return 0;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            log.error("framework property {}: '{}' is not a start level", AFTER_READY_LEVEL, value);
            return 0;
        }
    }

    /** Starts the bundles kept for after READY (asynchronously, on the framework's start-level thread). */
    private void raiseAfterReady() {
        int target = afterReadyLevel;
        if (target <= 0) {
            return;
        }
        try {
            FrameworkStartLevel framework = context.getBundle(0).adapt(FrameworkStartLevel.class);
            if (target > framework.getStartLevel()) {
                framework.setStartLevel(target);
            }
        } catch (IllegalStateException | IllegalArgumentException e) {
            log.warn("cannot raise the framework to start level {}: {}", target, e.getMessage());
        }
    }

    private void removeChangeListener() {
        try {
            context.removeServiceListener(changes);
        } catch (IllegalStateException stopping) {
            // the bundle context is no longer valid
        }
    }

    /** DS's view of each modhub component. */
    private List<ComponentHealth> componentStates() {
        List<ComponentHealth> out = new ArrayList<>();
        Collection<ComponentDescriptionDTO> descriptions = scr.getComponentDescriptionDTOs();
        for (ComponentDescriptionDTO d : descriptions) {
            if (!d.bundle.symbolicName.startsWith(PREFIX) || !scr.isComponentEnabled(d)) {
                continue;
            }
            Collection<ComponentConfigurationDTO> configs = scr.getComponentConfigurationDTOs(d);
            if (configs.isEmpty()) {
                if (!"require".equals(d.configurationPolicy)) {
                    out.add(new ComponentHealth(d.name, HealthState.STARTING, "not yet configured by DS"));
                }
                continue; // a component that requires configuration and has none is off by design
            }
            for (ComponentConfigurationDTO c : configs) {
                String name = configs.size() > 1 ? d.name + "#" + c.id : d.name;
                out.add(switch (c.state) {
                    case ComponentConfigurationDTO.ACTIVE, ComponentConfigurationDTO.SATISFIED -> ComponentHealth.up(name);
                    case ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION ->
                        ComponentHealth.degraded(name, "waiting for configuration");
                    case ComponentConfigurationDTO.UNSATISFIED_REFERENCE -> ComponentHealth.degraded(name,
                            "missing " + missing(d, c.unsatisfiedReferences));
                    case ComponentConfigurationDTO.FAILED_ACTIVATION -> ComponentHealth.degraded(name,
                            "activation failed: " + firstLine(c.failure));
                    default -> ComponentHealth.degraded(name, "state " + c.state);
                });
            }
        }
        return out;
    }

    /** The services a component waits for, by interface (constructor references have generated names). */
    private static String missing(ComponentDescriptionDTO d, UnsatisfiedReferenceDTO[] refs) {
        List<String> names = new ArrayList<>();
        if (refs != null) {
            for (UnsatisfiedReferenceDTO r : refs) {
                String service = r.name;
                for (ReferenceDTO ref : d.references) {
                    if (ref.name.equals(r.name)) {
                        service = ref.interfaceName.substring(ref.interfaceName.lastIndexOf('.') + 1);
                    }
                }
                names.add(service + (r.target == null ? "" : " " + r.target));
            }
        }
        return String.join(", ", names);
    }

    private static String firstLine(String failure) {
        if (failure == null) {
            return "unknown";
        }
        String first = failure.lines().findFirst().orElse(failure);
        // DS wraps the activator's exception: show its message
        int cause = failure.indexOf("Caused by: ");
        if (cause >= 0) {
            String c = failure.substring(cause + 11).lines().findFirst().orElse("");
            return c.isEmpty() ? first : c;
        }
        return first;
    }

    @Override
    public HealthState overall() {
        List<ComponentHealth> all = components();
        boolean allUp = all.stream().allMatch(c -> c.state() == HealthState.UP);
        if (readyAfter == null) {
            boolean failed = all.stream().anyMatch(c -> c.state() == HealthState.DEGRADED
                    && (c.reason().startsWith("activation failed") || !c.reason().startsWith("missing")));
            return failed ? HealthState.DEGRADED : HealthState.STARTING;
        }
        if (allUp) {
            return HealthState.UP;
        }
        // a component still starting (e.g. a key store being opened) is not a degradation yet
        boolean degraded = all.stream().anyMatch(c -> c.state() == HealthState.DEGRADED);
        return degraded ? HealthState.DEGRADED : HealthState.STARTING;
    }

    @Override
    public List<ComponentHealth> components() {
        List<ComponentHealth> all = componentStates();
        for (HealthContributor c : contributors) {
            try {
                ComponentHealth h = c.health();
                // a contributor's own report refines DS's view of the same component
                all.removeIf(existing -> existing.name().equals(h.name()) && h.state() != HealthState.UP);
                if (all.stream().noneMatch(existing -> existing.name().equals(h.name()))) {
                    all.add(h);
                }
            } catch (RuntimeException e) {
                all.add(ComponentHealth.degraded(c.getClass().getName(), "health check failed: " + e.getMessage()));
            }
        }
        return all;
    }

    @Override
    public Optional<Duration> readyAfter() {
        return Optional.ofNullable(readyAfter);
    }
}
