package org.modhub.zigbee.emulator.internal;

import java.time.Duration;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import com.zsmartsystems.zigbee.transport.ZigBeeTransportTransmit;
import org.modhub.api.common.Eui64;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceLogFullException;
import org.modhub.api.han.DeviceType;
import org.modhub.api.han.HanNetwork;
import org.modhub.api.han.HanNetworkState;
import org.modhub.api.han.InstallCode;
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

/**
 * The emulated ZigBee network for the development variant: registers the emulated coordinator radio
 * as a {@link ZigBeeTransportTransmit} service ({@code zigbee.transport=emulator}) with an electricity
 * meter, a sleepy gas meter and an in-home display in range. With {@code commission=true} it also plays
 * the installer: it puts its devices in the device log with their install codes and asks the HAN to
 * permit their joins, and the devices keep trying to join until they are on the network.
 */
@Component(service = {}, immediate = true, configurationPid = NetworkEmulatorComponent.PID)
@Designate(ocd = NetworkEmulatorComponent.Config.class)
public class NetworkEmulatorComponent {
    public static final String PID = "org.modhub.zigbee.emulator";

    @ObjectClassDefinition(id = PID, name = "modhub ZigBee network emulator",
            description = "An emulated ZigBee SE network: electricity meter, sleepy gas meter, in-home display.")
    public @interface Config {
        @AttributeDefinition(min = "1", max = "86400", description = "Seconds between the gas meter's wake-ups.")
        int gasWakeSeconds() default 1800;

        @AttributeDefinition(min = "1", max = "3600", description = "Seconds between the electricity meter's reports.")
        int electricityReportSeconds() default 10;

        @AttributeDefinition(description = "Put the devices in the device log and ask the HAN to let them join.")
        boolean commission() default true;

        @AttributeDefinition(min = "0", max = "44640", description = "How far (minutes) the gas meter's clock starts behind"
                + " the hub's when the meter has no stored state yet (its first start).")
        int gasClockBehindMinutes() default 0;

        @AttributeDefinition(min = "0", max = "1440", description = "How far (minutes) the gas meter's clock jumps ahead at"
                + " each wake-up while it is behind (0: it runs with real time). With gasClockBehindMinutes, lets half hours"
                + " pass in seconds; the clock never runs ahead of real time.")
        int gasClockStepMinutes() default 0;
    }

    /**
     * Framework (or system) properties {@code modhub.zigbee.emulator.<field>} override the configured
     * {@code gasWakeSeconds}, {@code gasClockBehindMinutes} and {@code gasClockStepMinutes}: a test
     * starts a whole dev hub with a fast gas meter without writing configuration first.
     */
    static final String PROPERTY_PREFIX = "modhub.zigbee.emulator.";
    /** StateStore namespace and key of the emulated gas meter's own memory (dev variant only). */
    static final String MEMORY_NAMESPACE = "org.modhub.zigbee-network-emulator";
    static final String GAS_METER_MEMORY = "gas-meter";

    static final long COORDINATOR = 0x000D6F00000000AAL;
    static final long ESME = 0x000D6F0000E50001L;
    static final long GSME = 0x000D6F0000650002L;
    static final long IHD = 0x000D6F0000140003L;

    private final EmulatedNetwork air;
    private final ElectricityMeter esme;
    private final GasMeter gsme;
    private final InHomeDisplay ihd;
    private final ServiceRegistration<ZigBeeTransportTransmit> registration;
    private final ScheduledExecutorService installer;
    private final Logger log;
    private final boolean commission;
    /** When the installer last asked the HAN to permit each device's join (installer thread only). */
    private final java.util.Map<Long, Long> permittedAt = new java.util.HashMap<>();
    static final int PERMIT_SECONDS = 60;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile DeviceLog deviceLog;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, target = "(han.technology=zigbee-se)")
    private volatile HanNetwork han;

    @Activate
    public NetworkEmulatorComponent(BundleContext context, @Reference(service = LoggerFactory.class) Logger log,
            @Reference StateStore store, Config config) {
        int gasWake = setting(context, log, "gasWakeSeconds", config.gasWakeSeconds(), 1, 86400);
        int behind = setting(context, log, "gasClockBehindMinutes", config.gasClockBehindMinutes(), 0, 44640);
        int step = setting(context, log, "gasClockStepMinutes", config.gasClockStepMinutes(), 0, 1440);
        if (config.electricityReportSeconds() < 1 || config.electricityReportSeconds() > 3600) {
            String msg = "configuration " + PID + ": field 'electricityReportSeconds': "
                    + config.electricityReportSeconds() + " is out of 1..3600";
            log.error(msg);
            throw new IllegalArgumentException(msg);
        }
        this.log = log;
        this.commission = config.commission();
        air = new EmulatedNetwork(COORDINATOR);
        esme = new ElectricityMeter(ESME, code(1), 12_345_678, 640);
        gsme = new GasMeter(GSME, code(2), 2_345_678, 3000, 60_000);
        ihd = new InHomeDisplay(IHD, code(3));
        air.add(esme);
        air.add(gsme);
        air.add(ihd);
        esme.startReporting(config.electricityReportSeconds() * 1000L);
        // The emulated gas meter is a device of its own that outlives a hub restart or kill: it keeps its
        // registers, clock and capture history (in the hub's StateStore, as the emulator has no other
        // storage) and, on the way back, captures the wake-ups that fell while the hub was down.
        long now = System.currentTimeMillis();
        java.util.Optional<byte[]> memory = store.get(MEMORY_NAMESPACE, GAS_METER_MEMORY);
        int missed = -1;
        if (memory.isPresent()) {
            try {
                missed = gsme.restore(memory.get(), gasWake * 1000L, now);
            } catch (IllegalArgumentException e) {
                log.warn("ZigBee emulator: stored gas meter memory unreadable, starting afresh: {}", e.getMessage());
            }
        }
        if (missed < 0 && (behind > 0 || step > 0)) {
            // a minute after the half-hour boundary at or before that point, so that captures stepped by
            // 30 minutes stay just after one boundary each
            long start = now - behind * 60_000L;
            gsme.setClock(java.time.Instant.ofEpochMilli(start - Math.floorMod(start, 1_800_000L) + 60_000L),
                    java.time.Duration.ofMinutes(step));
        } else if (missed > 0) {
            log.info("ZigBee emulator: the gas meter captured {} wake-ups while the hub was down", missed);
        }
        gsme.setMemory(state -> store.put(MEMORY_NAMESPACE, GAS_METER_MEMORY, state));
        store.put(MEMORY_NAMESPACE, GAS_METER_MEMORY, gsme.memory());
        gsme.startWaking(gasWake * 1000L);
        installer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "zigbee-emulator-installer");
            t.setDaemon(true);
            return t;
        });
        installer.scheduleWithFixedDelay(this::install, 1, 1, TimeUnit.SECONDS);
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("zigbee.transport", "emulator");
        registration = context.registerService(ZigBeeTransportTransmit.class, air, props);
    }

    /** A setting from its framework property if set, else from the configuration; refused when out of range. */
    private static int setting(BundleContext context, Logger log, String field, int configured, int min, int max) {
        String override = context.getProperty(PROPERTY_PREFIX + field);
        int value = configured;
        String source = "configuration " + PID;
        if (override != null && !override.isBlank()) {
            source = "framework property " + PROPERTY_PREFIX + field + " (" + PID + ")";
            try {
                value = Integer.parseInt(override.trim());
            } catch (NumberFormatException e) {
                String msg = source + ": field '" + field + "': '" + override + "' is not a number";
                log.error(msg);
                throw new IllegalArgumentException(msg);
            }
        }
        if (value < min || value > max) {
            String msg = source + ": field '" + field + "': " + value + " is out of " + min + ".." + max;
            log.error(msg);
            throw new IllegalArgumentException(msg);
        }
        return value;
    }

    /** Install codes of the emulated devices (16 octets + CRC), fixed so the dev hub's device log stays valid. */
    static byte[] code(int seed) {
        byte[] c = new byte[16];
        for (int i = 0; i < c.length; i++) {
            c[i] = (byte) (0x5A ^ seed * 29 + i * 11);
        }
        return InstallCode.withCrc(c).octets();
    }

    /** The installer's round: commission what is not on the network yet, and let it try to join. */
    private void install() {
        if (!commission) {
            return;
        }
        DeviceLog dl = deviceLog;
        HanNetwork h = han;
        if (dl == null || h == null || h.state() != HanNetworkState.UP) {
            return;
        }
        for (EmulatedDevice d : List.of(esme, gsme, ihd)) {
            if (d.isJoined()) {
                continue;
            }
            Eui64 id = Eui64.of(d.ieee());
            DeviceType type = d == esme ? DeviceType.ELECTRICITY_METER
                    : d == gsme ? DeviceType.GAS_METER : DeviceType.IN_HOME_DISPLAY;
            try {
                if (!dl.contains(id)) {
                    dl.add(DeviceLogEntry.withInstallCode(id, type, InstallCode.of(d.installCode())));
                }
                // permitJoining(device) also hands the trust centre that device's install key: ask for each
                // device (again when its permit may have run out), not only when the radio is closed — a device
                // trying during another device's permit, without its own key, fails and tries forever
                long now = System.currentTimeMillis();
                Long permitted = permittedAt.get(d.ieee());
                if (permitted == null || now - permitted > PERMIT_SECONDS * 1000L - 10_000 || !air.isJoinPermitted()) {
                    h.permitJoining(id, Duration.ofSeconds(PERMIT_SECONDS));
                    permittedAt.put(d.ieee(), now);
                    continue; // the permit reaches the radio asynchronously: join next round
                }
                air.tryJoin(d);
            } catch (DeviceLogFullException | RuntimeException | org.modhub.api.han.UnknownDeviceException e) {
                log.warn("ZigBee emulator: could not commission {}: {}", d, e.toString());
            }
        }
    }

    @Deactivate
    void deactivate() {
        installer.shutdownNow();
        try {
            registration.unregister();
        } catch (IllegalStateException e) {
            // already unregistered with the bundle
        }
        air.close();
    }
}
