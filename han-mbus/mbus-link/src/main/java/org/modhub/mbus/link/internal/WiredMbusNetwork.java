package org.modhub.mbus.link.internal;

import com.fazecast.jSerialComm.SerialPort;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventLog;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.HanNetwork;
import org.modhub.api.han.HanNetworkState;
import org.modhub.api.han.UnknownDeviceException;
import org.modhub.api.health.HealthContributor;
import org.modhub.api.keys.DeviceKeys;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.store.StateStore;
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
 * Wired M-Bus (EN 13757-2/-3) as a hub {@link HanNetwork} (technology {@code mbus}): polls the
 * configured meters over a TCP M-Bus gateway or a serial M-Bus master (level converter) through
 * jSerialComm, on its own thread. Active only when configured.
 */
@Component(service = {HanNetwork.class, HealthContributor.class}, immediate = true, configurationPid = WiredMbusNetwork.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, property = HanNetwork.TECHNOLOGY + "=mbus")
@Designate(ocd = WiredMbusNetwork.Config.class)
public class WiredMbusNetwork extends AbstractMbusNetwork {
    public static final String PID = "org.modhub.han.mbus";

    @ObjectClassDefinition(id = PID, name = "modhub wired M-Bus", description = "Wired M-Bus master over TCP or serial.")
    public @interface Config {
        @AttributeDefinition(description = "tcp (M-Bus gateway) or serial (M-Bus level converter).")
        String transport() default "tcp";

        String host() default "127.0.0.1";

        @AttributeDefinition(min = "1", max = "65535")
        int port() default 10001;

        @AttributeDefinition(description = "Serial device path, e.g. /dev/ttyUSB0.")
        String serialPort() default "";

        @AttributeDefinition(min = "300", max = "38400", description = "Bus speed (8E1).")
        int baudRate() default 2400;

        @AttributeDefinition(description = "Meters: a primary address (1..250) or a secondary address (16 hex digits, manufacturer, identification number, version, medium).")
        String[] meters() default {};

        @AttributeDefinition(min = "5", max = "86400")
        int pollSeconds() default 900;

        @AttributeDefinition(min = "100", max = "60000", description = "Response timeout (ms).")
        int timeoutMs() default 2000;
    }

    private final ScheduledExecutorService poller;
    private final WiredPoller wired;
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
    public WiredMbusNetwork(Config config, @Reference DeviceLog deviceLog, @Reference MeteringStore metering,
            @Reference StateStore state, @Reference(service = LoggerFactory.class) Logger log) {
        super(deviceLog);
        List<WiredPoller.Address> meters = new ArrayList<>();
        String transport = config.transport() == null ? "" : config.transport().strip();
        check(transport.equals("tcp") || transport.equals("serial"), "transport", "must be tcp or serial", log);
        check(config.port() >= 1 && config.port() <= 65535, "port", "out of 1..65535", log);
        check(config.baudRate() >= 300 && config.baudRate() <= 38400, "baudRate", "out of 300..38400", log);
        check(config.pollSeconds() >= 5 && config.pollSeconds() <= 86400, "pollSeconds", "out of 5..86400", log);
        check(config.timeoutMs() >= 100 && config.timeoutMs() <= 60000, "timeoutMs", "out of 100..60000", log);
        check(!transport.equals("serial") || !config.serialPort().isBlank(), "serialPort", "needed for transport serial", log);
        for (String m : config.meters()) {
            try {
                meters.add(WiredPoller.Address.parse(m));
            } catch (IllegalArgumentException e) {
                check(false, "meters", e.getMessage(), log);
            }
        }
        Supplier<CapturingTransport> transports = transport.equals("tcp")
                ? () -> CapturingTransport.tcp(config.host(), config.port(), config.timeoutMs())
                : () -> CapturingTransport.serial(config.serialPort(), config.baudRate(), SerialPort.EVEN_PARITY, config.timeoutMs());
        this.sink = new MeterSink("mbus", deviceLog, metering, state, () -> eventLog, () -> deviceKeys);
        this.wired = new WiredPoller(transports, meters, sink, Clock.systemUTC());
        this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mbus-poller");
            t.setDaemon(true);
            return t;
        });
        poller.scheduleWithFixedDelay(this::poll, 0, config.pollSeconds(), TimeUnit.SECONDS);
    }

    private static void check(boolean ok, String field, String why, Logger log) {
        if (!ok) {
            String msg = "configuration " + PID + ": field '" + field + "': " + why;
            log.error(msg);
            throw new IllegalArgumentException(msg);
        }
    }

    private void poll() {
        try {
            WiredPoller.Result r = wired.pollOnce();
            state = r.connected() ? HanNetworkState.UP : HanNetworkState.DOWN;
            problem = !r.connected() ? "M-Bus master not reachable"
                    : r.silent() + r.refused() > 0 ? (r.silent() + " silent, " + r.refused() + " refused of " + (r.read() + r.silent() + r.refused()) + " meters") : "";
        } catch (RuntimeException e) {
            problem = "poll failed: " + e;
            state = HanNetworkState.DEGRADED;
        } finally {
            started = true;
        }
    }

    @Override
    public String technology() {
        return "mbus";
    }

    @Override
    public HanNetworkState state() {
        return state;
    }

    @Override
    public CompletionStage<HanNetworkState> formOrRestore() {
        CompletableFuture<HanNetworkState> f = new CompletableFuture<>();
        poller.execute(() -> {
            poll();
            f.complete(state);
        });
        return f;
    }

    @Override
    public CompletionStage<Instant> send(Eui64 device, byte[] payload, Duration expiry) {
        if (!deviceLog.contains(device)) {
            return failed(new UnknownDeviceException(device, "not in the device log"));
        }
        byte[] data = payload.clone();
        CompletableFuture<Instant> f = new CompletableFuture<>();
        poller.execute(() -> {
            try {
                wired.write(device, data);
                f.complete(Instant.now());
            } catch (Exception e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    @Deactivate
    void deactivate() {
        poller.execute(wired::close); // on the poll thread, after a poll under way; never joined here
        poller.shutdown();
    }
}
