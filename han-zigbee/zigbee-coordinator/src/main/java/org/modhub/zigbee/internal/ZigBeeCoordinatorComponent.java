package org.modhub.zigbee.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import com.zsmartsystems.zigbee.dongle.cc2531.ZigBeeDongleTiCc2531;
import com.zsmartsystems.zigbee.dongle.conbee.ZigBeeDongleConBee;
import com.zsmartsystems.zigbee.dongle.ember.ZigBeeDongleEzsp;
import com.zsmartsystems.zigbee.dongle.telegesis.ZigBeeDongleTelegesis;
import com.zsmartsystems.zigbee.dongle.xbee.ZigBeeDongleXBee;
import com.zsmartsystems.zigbee.transport.ZigBeePort;
import com.zsmartsystems.zigbee.transport.ZigBeeTransportTransmit;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventLog;
import org.modhub.api.gas.GasProxy;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.DisplayPrice;
import org.modhub.api.han.HanDevice;
import org.modhub.api.gas.GasMeterRecovery;
import org.modhub.api.han.HanDisplays;
import org.modhub.api.han.HanNetwork;
import org.modhub.api.han.HanNetworkState;
import org.modhub.api.han.UnknownDeviceException;
import org.modhub.api.health.ComponentHealth;
import org.modhub.api.health.HealthContributor;
import org.modhub.api.health.HealthState;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.store.StateStore;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

/**
 * The ZigBee coordinator as a DS component: picks the dongle driver by configuration (or, with
 * {@code dongle=auto}, a {@link ZigBeeTransportTransmit} service such as the network emulator), and
 * starts the network on the coordinator's own thread, never on the activation path. Without a dongle
 * it is idle and healthy. Registers {@link HanNetwork}, {@link HanDisplays} and {@link GasMeterRecovery} (technology
 * {@value Coordinator#TECHNOLOGY_NAME}) while a coordinator runs, and a {@link HealthContributor} always.
 */
@Component(service = {HealthContributor.class, ZigBeeCoordinatorComponent.class}, immediate = true,
        configurationPid = ZigBeeCoordinatorComponent.PID,
        property = {"osgi.command.scope=zigbee", "osgi.command.function=devices", "osgi.command.function=permit",
            "osgi.command.function=price", "osgi.command.function=message", "osgi.command.function=state"})
@Designate(ocd = ZigBeeCoordinatorComponent.Config.class)
public class ZigBeeCoordinatorComponent implements HealthContributor {
    public static final String PID = "org.modhub.han.zigbee";
    static final String NAME = "org.modhub.han.zigbee";
    static final Set<String> DONGLES = Set.of("auto", "none", "ember", "telegesis", "xbee", "conbee", "cc2531");

    @ObjectClassDefinition(id = PID, name = "modhub ZigBee coordinator",
            description = "The hub as ZigBee Smart Energy coordinator and trust centre.")
    public @interface Config {
        @AttributeDefinition(description = "Dongle driver; auto takes a registered ZigBee transport service "
                + "(the network emulator), none runs no network.", options = {
                    @Option(value = "auto"), @Option(value = "none"), @Option(value = "ember"),
                    @Option(value = "telegesis"), @Option(value = "xbee"), @Option(value = "conbee"),
                    @Option(value = "cc2531")})
        String dongle() default "auto";

        @AttributeDefinition(description = "Serial port of the dongle, e.g. /dev/ttyUSB0 (serial dongles only).")
        String port() default "";

        @AttributeDefinition(min = "9600", max = "921600", description = "Serial baud rate.")
        int baudRate() default 115200;

        @AttributeDefinition(description = "Serial flow control: none, rtscts or xonxoff.")
        String flowControl() default "none";

        @AttributeDefinition(min = "11", max = "26", description = "Channel of a newly formed network.")
        int channel() default 15;

        @AttributeDefinition(min = "1", max = "720", description = "Default expiry (hours) of messages waiting for a sleepy device.")
        int sleepyExpiryHours() default 24;

        @AttributeDefinition(min = "2", max = "240", description = "Endpoint of the first gas mirror (SE metering mirror) served to displays.")
        int mirrorEndpoint() default 2;

        @AttributeDefinition(description = "Filter for the transport service used with dongle=auto.")
        String transport_target() default "(zigbee.transport=*)";
    }

    private final DeviceLog deviceLog;
    private final StateStore state;
    private final MeteringStore metering;
    private final Logger log;
    private final BundleContext context;
    private final Config config;
    private final String dongle;
    private volatile boolean active;
    private Coordinator coordinator;
    private ZigBeeTransportTransmit coordinatorTransport;
    private ServiceRegistration<?> registration;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile EventLog eventLog;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile GasProxy gasProxy;

    private volatile ZigBeeTransportTransmit transportService;

    @Activate
    public ZigBeeCoordinatorComponent(@Reference DeviceLog deviceLog, @Reference StateStore state,
            @Reference MeteringStore metering, @Reference(service = LoggerFactory.class) Logger log,
            BundleContext context, Config config) {
        String d = config.dongle() == null ? "" : config.dongle().trim().toLowerCase(Locale.ROOT);
        if (!DONGLES.contains(d)) {
            refuse(log, "dongle", "'" + config.dongle() + "' is not one of " + DONGLES);
        }
        if (!d.equals("auto") && !d.equals("none") && (config.port() == null || config.port().isBlank())) {
            refuse(log, "port", "a serial dongle needs a port");
        }
        if (config.baudRate() < 9600 || config.baudRate() > 921600) {
            refuse(log, "baudRate", config.baudRate() + " is out of 9600..921600");
        }
        if (!Set.of("none", "rtscts", "xonxoff").contains(String.valueOf(config.flowControl()).toLowerCase(Locale.ROOT))) {
            refuse(log, "flowControl", "'" + config.flowControl() + "' is not none, rtscts or xonxoff");
        }
        if (config.channel() < 11 || config.channel() > 26) {
            refuse(log, "channel", config.channel() + " is out of 11..26");
        }
        if (config.sleepyExpiryHours() < 1 || config.sleepyExpiryHours() > 720) {
            refuse(log, "sleepyExpiryHours", config.sleepyExpiryHours() + " is out of 1..720");
        }
        if (config.mirrorEndpoint() < 2 || config.mirrorEndpoint() > 240) {
            refuse(log, "mirrorEndpoint", config.mirrorEndpoint() + " is out of 2..240");
        }
        this.deviceLog = deviceLog;
        this.state = state;
        this.metering = metering;
        this.log = log;
        this.context = context;
        this.config = config;
        this.dongle = d;
        this.active = true;
        if (!d.equals("auto") && !d.equals("none")) {
            // the driver's constructor only keeps the port: the serial I/O happens in formOrRestore on
            // the coordinator's thread
            ZigBeeTransportTransmit driver;
            try {
                driver = driver(d, new SerialZigBeePort(config.port(), config.baudRate(), flow(config.flowControl())));
            } catch (DriverMissingException e) {
                refuse(log, "dongle", e.getMessage());
                return;
            }
            start(driver);
        } else if (d.equals("auto") && transportService != null) {
            start(transportService);
        }
    }

    private static void refuse(Logger log, String field, String why) {
        String msg = "configuration " + PID + ": field '" + field + "': " + why;
        log.error(msg);
        throw new IllegalArgumentException(msg);
    }

    private static ZigBeePort.FlowControl flow(String f) {
        return switch (f.toLowerCase(Locale.ROOT)) {
            case "rtscts" -> ZigBeePort.FlowControl.FLOWCONTROL_OUT_RTSCTS;
            case "xonxoff" -> ZigBeePort.FlowControl.FLOWCONTROL_OUT_XONOFF;
            default -> ZigBeePort.FlowControl.FLOWCONTROL_OUT_NONE;
        };
    }

    /**
     * The library's driver for a dongle. Each driver is a bundle of its own, imported dynamically
     * (bnd.bnd): a product variant carries the driver of its radio only, and a driver bundle installed
     * later (OTA) is picked up without a refresh.
     *
     * @throws DriverMissingException if the variant has no bundle for that driver
     */
    static ZigBeeTransportTransmit driver(String dongle, ZigBeePort port) {
        try {
            return switch (dongle) {
                case "ember" -> new ZigBeeDongleEzsp(port);
                case "telegesis" -> new ZigBeeDongleTelegesis(port);
                case "xbee" -> new ZigBeeDongleXBee(port);
                case "conbee" -> new ZigBeeDongleConBee(port);
                case "cc2531" -> new ZigBeeDongleTiCc2531(port);
                default -> throw new IllegalArgumentException("no driver for dongle '" + dongle + "'");
            };
        } catch (NoClassDefFoundError e) {
            throw new DriverMissingException("the driver bundle for dongle '" + dongle + "' (com.zsmartsystems.zigbee.dongle."
                    + dongle + ") is not installed in this product variant");
        }
    }

    /** A dongle whose driver bundle is not installed. */
    static final class DriverMissingException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DriverMissingException(String message) {
            super(message);
        }
    }

    @Reference(name = "transport", service = ZigBeeTransportTransmit.class, cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindTransport(ZigBeeTransportTransmit t) {
        transportService = t;
        if (active && "auto".equals(dongle)) {
            start(t);
        }
    }

    void unbindTransport(ZigBeeTransportTransmit t) {
        if (transportService == t) {
            transportService = null;
        }
        stop(t);
    }

    private synchronized void start(ZigBeeTransportTransmit transport) {
        if (coordinator != null) {
            if (coordinatorTransport == transport) {
                return;
            }
            stop(coordinatorTransport);
        }
        Coordinator c = new Coordinator(transport, new Coordinator.Settings(config.channel(),
                Duration.ofHours(config.sleepyExpiryHours()), config.mirrorEndpoint(), Duration.ofSeconds(5)),
                deviceLog, state, metering, () -> eventLog, () -> gasProxy, log, Clock.systemUTC());
        coordinator = c;
        coordinatorTransport = transport;
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(HanNetwork.TECHNOLOGY, Coordinator.TECHNOLOGY_NAME);
        registration = context.registerService(new String[] {HanNetwork.class.getName(), HanDisplays.class.getName(),
            GasMeterRecovery.class.getName()}, c, props);
        c.formOrRestore();
    }

    private synchronized void stop(ZigBeeTransportTransmit transport) {
        if (coordinator == null || (transport != null && coordinatorTransport != transport)) {
            return;
        }
        ServiceRegistration<?> r = registration;
        registration = null;
        if (r != null) {
            try {
                r.unregister();
            } catch (IllegalStateException e) {
                // already gone with the bundle
            }
        }
        coordinator.shutdown();
        coordinator = null;
        coordinatorTransport = null;
    }

    @Deactivate
    void deactivate() {
        active = false;
        stop(null);
    }

    private synchronized Optional<Coordinator> current() {
        return Optional.ofNullable(coordinator);
    }

    @Override
    public ComponentHealth health() {
        Optional<Coordinator> c = current();
        if (c.isEmpty()) {
            return ComponentHealth.up(NAME); // no dongle configured or present: nothing to be unhealthy about
        }
        return switch (c.get().state()) {
            case UP -> ComponentHealth.up(NAME);
            case FORMING -> new ComponentHealth(NAME, HealthState.STARTING, "forming or restoring the ZigBee network");
            case DOWN -> c.get().reason().equals("not started")
                    ? new ComponentHealth(NAME, HealthState.STARTING, "starting")
                    : ComponentHealth.degraded(NAME, c.get().reason());
            case DEGRADED -> ComponentHealth.degraded(NAME, c.get().reason());
        };
    }

    // ---- Gogo commands (the shell is optional: no import of it) ----------------------------------

    public String state() {
        return current().map(c -> c.state() + (c.reason().isEmpty() ? "" : " (" + c.reason() + ")"))
                .orElse("no dongle (" + dongle + ")");
    }

    public List<String> devices() {
        return current().map(c -> c.devices().stream().map(ZigBeeCoordinatorComponent::describe).toList())
                .orElse(List.of());
    }

    private static String describe(HanDevice d) {
        return d.id() + " " + d.type().gbcsName() + (d.isSleepy() ? " sleepy" : "") + " last heard "
                + d.lastContact().map(Instant::toString).orElse("never");
    }

    public String permit(String eui, int seconds) throws UnknownDeviceException {
        Coordinator c = current().orElseThrow(() -> new IllegalStateException("no ZigBee network"));
        c.permitJoining(Eui64.parse(eui), Duration.ofSeconds(seconds));
        return "joining permitted for " + eui + " for " + seconds + " s";
    }

    public Integer price(long pricePerKwhTenthsOfPence, String label) throws Exception {
        Coordinator c = current().orElseThrow(() -> new IllegalStateException("no ZigBee network"));
        return c.publishPrice(new DisplayPrice(1, label, Instant.now().getEpochSecond() & 0xFFFFFFFFL, 826, 1,
                pricePerKwhTenthsOfPence, Instant.now(), Duration.ofDays(1))).toCompletableFuture().get();
    }

    public Integer message(String text) throws Exception {
        Coordinator c = current().orElseThrow(() -> new IllegalStateException("no ZigBee network"));
        return c.displayMessage(Instant.now().getEpochSecond() & 0xFFFFFFFFL, text, Duration.ofMinutes(30))
                .toCompletableFuture().get();
    }
}
