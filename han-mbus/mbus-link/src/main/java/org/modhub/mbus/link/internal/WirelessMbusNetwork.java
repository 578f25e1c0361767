package org.modhub.mbus.link.internal;

import com.fazecast.jSerialComm.SerialPort;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.Severity;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.HanNetwork;
import org.modhub.api.han.HanNetworkState;
import org.modhub.api.health.HealthContributor;
import org.modhub.api.keys.DeviceKeys;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.store.StateStore;
import org.openmuc.jmbus.wireless.WMBusConnection;
import org.openmuc.jmbus.wireless.WMBusConnection.WMBusManufacturer;
import org.openmuc.jmbus.wireless.WMBusMode;
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
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Wireless M-Bus (EN 13757-4, modes S1, T1, C1) as a hub {@link HanNetwork} (technology
 * {@code wmbus}): a transceiver jMBus drives (Amber, IMST, Radiocrafts) on a serial port through
 * jSerialComm; every telegram jMBus hands over, or discards, is checked and decoded by the hub with
 * the device's key. Active only when configured; the port is opened on the bundle's own thread and
 * reopened after a failure.
 */
@Component(service = {HanNetwork.class, HealthContributor.class}, immediate = true, configurationPid = WirelessMbusNetwork.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, property = HanNetwork.TECHNOLOGY + "=wmbus")
@Designate(ocd = WirelessMbusNetwork.Config.class)
public class WirelessMbusNetwork extends AbstractMbusNetwork {
    public static final String PID = "org.modhub.han.wmbus";

    @ObjectClassDefinition(id = PID, name = "modhub wireless M-Bus", description = "Wireless M-Bus transceiver.")
    public @interface Config {
        @AttributeDefinition(description = "AMBER, IMST or RADIO_CRAFTS.")
        String transceiver() default "AMBER";

        @AttributeDefinition(description = "S (S1), T (T1) or C (C1).")
        String mode() default "T";

        String serialPort() default "";

        @AttributeDefinition(min = "0", max = "921600", description = "0: the transceiver's default (Amber 9600, IMST 57600, Radiocrafts 19200).")
        int baudRate() default 0;

        @AttributeDefinition(min = "5", max = "3600", description = "Delay before reopening a failed port (s).")
        int retrySeconds() default 30;
    }

    private final ScheduledExecutorService worker;
    private final WirelessReceiver receiver;
    private final WMBusManufacturer maker;
    private final WMBusMode mode;
    private final String port;
    private final int baud;
    private final int retrySeconds;
    private volatile WMBusConnection connection;
    private volatile HanNetworkState state = HanNetworkState.FORMING;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile EventLog eventLog;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile DeviceKeys deviceKeys;

    @Override
    protected DeviceKeys deviceKeys() {
        return deviceKeys;
    }

    @Activate
    public WirelessMbusNetwork(Config config, @Reference DeviceLog deviceLog, @Reference MeteringStore metering,
            @Reference StateStore state, @Reference(service = LoggerFactory.class) Logger log) {
        super(deviceLog);
        this.maker = parse(WMBusManufacturer.class, config.transceiver(), "transceiver", log);
        this.mode = parse(WMBusMode.class, config.mode(), "mode", log);
        if (config.serialPort() == null || config.serialPort().isBlank()) {
            fail("serialPort", "needed", log);
        }
        if (config.baudRate() < 0 || config.retrySeconds() < 5) {
            fail(config.baudRate() < 0 ? "baudRate" : "retrySeconds", "out of range", log);
        }
        this.port = config.serialPort();
        this.baud = config.baudRate() > 0 ? config.baudRate()
                : switch (maker) {
                    case AMBER -> 9600;
                    case IMST -> 57600;
                    case RADIO_CRAFTS -> 19200;
                };
        this.retrySeconds = config.retrySeconds();
        this.sink = new MeterSink("wmbus", deviceLog, metering, state, () -> eventLog, () -> deviceKeys);
        this.receiver = new WirelessReceiver(sink, false, Clock.systemUTC());
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "wmbus-" + port);
            t.setDaemon(true);
            return t;
        });
        worker.execute(this::open);
    }

    private static <E extends Enum<E>> E parse(Class<E> type, String text, String field, Logger log) {
        try {
            return Enum.valueOf(type, text.strip().toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            fail(field, "'" + text + "' is not one of " + java.util.Arrays.toString(type.getEnumConstants()), log);
            return null;
        }
    }

    private static void fail(String field, String why, Logger log) {
        String msg = "configuration " + PID + ": field '" + field + "': " + why;
        log.error(msg);
        throw new IllegalArgumentException(msg);
    }

    private void open() {
        try {
            CapturingTransport t = CapturingTransport.serial(port, baud, SerialPort.NO_PARITY, 500);
            connection = t.connectWireless(maker, mode, new ReceiverListener(receiver, cause -> {
                state = HanNetworkState.DOWN;
                problem = "transceiver stopped: " + cause.getMessage();
                sink.event(EventKind.EVENT, "MBUS_LINK_DOWN", Severity.WARNING, null, problem);
                worker.schedule(WirelessMbusNetwork.this::open, retrySeconds, TimeUnit.SECONDS);
            }));
            state = HanNetworkState.UP;
            problem = "";
        } catch (IOException | RuntimeException e) {
            state = HanNetworkState.DOWN;
            problem = "transceiver on " + port + ": " + e.getMessage();
            worker.schedule(this::open, retrySeconds, TimeUnit.SECONDS);
        } finally {
            started = true;
        }
    }

    @Override
    public String technology() {
        return "wmbus";
    }

    @Override
    public HanNetworkState state() {
        return state;
    }

    @Override
    public CompletionStage<HanNetworkState> formOrRestore() {
        return CompletableFuture.completedFuture(state);
    }

    /** Wireless M-Bus meters of modes S1/T1/C1 send only (unidirectional use): nothing can be sent. */
    @Override
    public CompletionStage<Instant> send(Eui64 device, byte[] payload, Duration expiry) {
        return failed(new UnsupportedOperationException("the hub only receives on wireless M-Bus (mode " + mode + "1)"));
    }

    @Deactivate
    void deactivate() {
        worker.shutdownNow();
        WMBusConnection c = connection;
        if (c != null) {
            try {
                c.close();
            } catch (IOException | RuntimeException e) {
                // closing
            }
        }
    }
}
