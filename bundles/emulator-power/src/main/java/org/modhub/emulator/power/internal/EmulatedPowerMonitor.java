package org.modhub.emulator.power.internal;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Locale;
import org.modhub.api.power.PowerMonitor;
import org.modhub.api.power.PowerState;
import org.modhub.api.power.PowerStatus;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * An emulated mains supply for the dev variant and tests. Registers a {@link PowerMonitor} whose
 * state follows the configuration ({@value #PID}, {@code state} ON or OFF) and the Gogo commands
 * {@code power:on}, {@code power:off}, {@code power:flap <count> <offMs> <onMs>} and
 * {@code power:state}.
 */
@Component(service = Object.class, immediate = true, configurationPid = EmulatedPowerMonitor.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL,
        property = {"osgi.command.scope=power", "osgi.command.function=on", "osgi.command.function=off",
                "osgi.command.function=flap", "osgi.command.function=state"})
@Designate(ocd = EmulatedPowerMonitor.Config.class)
public class EmulatedPowerMonitor implements PowerMonitor {
    public static final String PID = "org.modhub.emulator.power";

    @ObjectClassDefinition(name = "modhub emulated power", description = "An emulated mains supply.")
    public @interface Config {
        @AttributeDefinition(description = "Mains state: ON or OFF.")
        String state() default "ON";

        @AttributeDefinition(description = "Name of the supply.")
        String supply() default "mains";
    }

    private final Logger log;
    private final String supply;
    private final EmulatedSupply emulated;
    private ServiceRegistration<PowerMonitor> registration;
    private Thread flapper;

    @Activate
    public EmulatedPowerMonitor(@Reference(service = LoggerFactory.class) Logger log, BundleContext context,
            Config config) {
        this.log = log;
        if (config.supply().isBlank()) {
            throw refuse("supply", "is empty");
        }
        this.supply = config.supply();
        this.emulated = new EmulatedSupply(parse(config.state()), this::changed);
        this.registration = context.registerService(PowerMonitor.class, this, properties(emulated.status()));
        log.info("emulated power monitor for '{}': {}", supply, emulated.status());
    }

    private PowerState parse(String state) {
        try {
            return PowerState.valueOf(state.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw refuse("state", "'" + state + "' is not ON or OFF");
        }
    }

    private IllegalArgumentException refuse(String field, String reason) {
        String message = "configuration " + PID + " refused: field " + field + ": " + reason;
        log.error(message);
        return new IllegalArgumentException(message);
    }

    @Modified
    void modified(Config config) {
        PowerState s;
        try {
            s = parse(config.state());
        } catch (IllegalArgumentException e) {
            return; // logged; keep the current state
        }
        emulated.set(s);
    }

    @Deactivate
    synchronized void deactivate() throws InterruptedException {
        Thread f = flapper;
        if (f != null) {
            f.interrupt();
            f.join(5_000);
        }
        ServiceRegistration<PowerMonitor> reg = registration;
        registration = null;
        if (reg != null) {
            try {
                reg.unregister();
            } catch (IllegalStateException e) {
                // already gone
            }
        }
    }

    private void changed(PowerStatus status) {
        ServiceRegistration<PowerMonitor> reg = registration;
        if (reg != null) {
            try {
                reg.setProperties(properties(status));
            } catch (IllegalStateException e) {
                // unregistered concurrently
            }
        }
        log.info("emulated {} {}", supply, status);
    }

    private Dictionary<String, Object> properties(PowerStatus s) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(SUPPLY, supply);
        p.put(STATE, s.state().name());
        p.put(SINCE, s.since().toEpochMilli());
        p.put(CHANGES, s.changes());
        p.put(SOURCE, "emulated");
        return p;
    }

    @Override
    public String supply() {
        return supply;
    }

    @Override
    public PowerStatus status() {
        return emulated.status();
    }

    // ---- Gogo commands ----

    public String on() {
        emulated.set(PowerState.ON);
        return state();
    }

    public String off() {
        emulated.set(PowerState.OFF);
        return state();
    }

    public synchronized String flap(int count, long offMs, long onMs) {
        if (count < 1 || count > 1000 || offMs < 0 || onMs < 0 || offMs > 3_600_000 || onMs > 3_600_000) {
            return "usage: power:flap <count 1..1000> <offMs> <onMs>";
        }
        if (flapper != null && flapper.isAlive()) {
            return "a flap sequence is running";
        }
        flapper = new Thread(() -> {
            try {
                emulated.flap(count, offMs, onMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "modhub-emulator-power-flap");
        flapper.setDaemon(true);
        flapper.start();
        return "flapping " + count + " times (" + offMs + " ms off, " + onMs + " ms on)";
    }

    public String state() {
        PowerStatus s = emulated.status();
        return supply + " " + s.state() + " since " + s.since() + " (" + s.changes() + " changes)";
    }
}
