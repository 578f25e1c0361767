package org.modhub.lastgasp.internal.sysfs;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.modhub.api.health.ComponentHealth;
import org.modhub.api.health.HealthContributor;
import org.modhub.api.power.PowerMonitor;
import org.modhub.api.power.PowerState;
import org.modhub.api.power.PowerStatus;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * A {@link PowerMonitor} over a Linux value file, polled: {@code /sys/class/power_supply/<name>/online}
 * or a GPIO line's {@code value} file. Active only when configured (PID {@value #PID}); the
 * PowerMonitor service is registered once the file has been read, and its state properties follow
 * every debounced change. Sysfs GPIO edge notification needs poll(2) with POLLPRI, which the JDK does
 * not offer; at the default 20 ms interval a read costs a few microseconds.
 */
@Component(service = HealthContributor.class, immediate = true, configurationPid = SysfsPowerMonitor.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = SysfsPowerMonitor.Config.class)
public class SysfsPowerMonitor implements PowerMonitor, HealthContributor {
    public static final String PID = "org.modhub.power.sysfs";

    @ObjectClassDefinition(name = "modhub sysfs power monitor", description = "Mains state from a Linux value file.")
    public @interface Config {
        @AttributeDefinition(description = "The value file: /sys/class/power_supply/<name>/online or "
                + "/sys/class/gpio/gpioN/value.")
        String path() default "/sys/class/power_supply/AC/online";

        @AttributeDefinition(description = "The value that means mains present ('1'; '0' for an active-low GPIO).")
        String onValue() default "1";

        @AttributeDefinition(min = "5", max = "10000", description = "Poll interval (ms).")
        int pollMs() default 20;

        @AttributeDefinition(min = "1", max = "100", description = "Consecutive equal reads before a change counts.")
        int debounceReads() default 2;

        @AttributeDefinition(description = "Name of the supply watched.")
        String supply() default "mains";
    }

    private final Logger log;
    private final ValueFileReader reader;
    private final int pollMs;
    private final int debounceReads;
    private final String supply;
    private final BundleContext context;
    private final AtomicLong changes = new AtomicLong(-1);
    private final Thread poller;
    private volatile PowerStatus status;
    private volatile String problem = "";
    private volatile boolean running = true;
    private ServiceRegistration<PowerMonitor> registration;

    @Activate
    public SysfsPowerMonitor(@Reference(service = LoggerFactory.class) Logger log, BundleContext context, Config config) {
        this.log = log;
        this.context = context;
        if (config.pollMs() < 5 || config.pollMs() > 10_000) {
            throw refuse(log, "pollMs", config.pollMs() + " out of 5..10000");
        }
        if (config.debounceReads() < 1 || config.debounceReads() > 100) {
            throw refuse(log, "debounceReads", config.debounceReads() + " out of 1..100");
        }
        if (config.onValue().isBlank()) {
            throw refuse(log, "onValue", "is empty");
        }
        if (config.supply().isBlank()) {
            throw refuse(log, "supply", "is empty");
        }
        Path path;
        try {
            path = Paths.get(config.path());
        } catch (RuntimeException e) {
            throw refuse(log, "path", "'" + config.path() + "' is not a path: " + e.getMessage());
        }
        if (!path.isAbsolute()) {
            throw refuse(log, "path", "'" + config.path() + "' is not absolute");
        }
        this.reader = new ValueFileReader(path, config.onValue(), config.debounceReads());
        this.pollMs = config.pollMs();
        this.debounceReads = config.debounceReads();
        this.supply = config.supply();
        this.poller = new Thread(this::pollLoop, "modhub-power-sysfs");
        this.poller.setDaemon(true);
        this.poller.setPriority(Thread.MAX_PRIORITY);
    }

    private static IllegalArgumentException refuse(Logger log, String field, String reason) {
        String message = "configuration " + PID + " refused: field " + field + ": " + reason;
        log.error(message);
        return new IllegalArgumentException(message);
    }

    @Activate
    void start() {
        poller.start();
    }

    @Deactivate
    void stop() throws InterruptedException {
        running = false;
        poller.interrupt();
        poller.join(5_000);
        ServiceRegistration<PowerMonitor> reg;
        synchronized (this) {
            reg = registration;
            registration = null;
        }
        if (reg != null) {
            try {
                reg.unregister();
            } catch (IllegalStateException e) {
                // already gone
            }
        }
    }

    private void pollLoop() {
        while (running) {
            try {
                Optional<PowerState> changed = reader.poll();
                if (!problem.isEmpty()) {
                    log.info("{} readable again", reader.path());
                    problem = "";
                }
                changed.ifPresent(this::publish);
            } catch (IOException | RuntimeException e) {
                if (problem.isEmpty()) {
                    log.warn("cannot read {}: {} (keeping the last state {})", reader.path(), e.toString(),
                            status == null ? "unknown" : status.state());
                }
                problem = "cannot read " + reader.path() + ": " + e.getMessage();
            }
            try {
                Thread.sleep(pollMs);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void publish(PowerState state) {
        long n = changes.incrementAndGet();
        // the change began at the first of the debounce reads that saw it
        Instant since = n == 0 ? Instant.now() : Instant.now().minusMillis((long) (debounceReads - 1) * pollMs);
        status = new PowerStatus(state, since, n);
        synchronized (this) {
            if (!running) {
                return;
            }
            if (registration == null) {
                registration = context.registerService(PowerMonitor.class, this, properties());
                log.info("power monitor for '{}' on {}: {}", supply, reader.path(), status);
                return;
            }
            try {
                registration.setProperties(properties());
            } catch (IllegalStateException e) {
                return; // unregistered concurrently
            }
        }
        log.info("{} {} at {}", supply, state, since);
    }

    private Dictionary<String, Object> properties() {
        PowerStatus s = status;
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(SUPPLY, supply);
        p.put(STATE, s.state().name());
        p.put(SINCE, s.since().toEpochMilli());
        p.put(CHANGES, s.changes());
        p.put(SOURCE, reader.path().toString());
        return p;
    }

    @Override
    public String supply() {
        return supply;
    }

    @Override
    public PowerStatus status() {
        return status;
    }

    @Override
    public ComponentHealth health() {
        String p = problem;
        if (!p.isEmpty()) {
            return ComponentHealth.degraded(PID, p);
        }
        if (status == null) {
            return ComponentHealth.degraded(PID, "no value read yet from " + reader.path());
        }
        return ComponentHealth.up(PID);
    }
}
