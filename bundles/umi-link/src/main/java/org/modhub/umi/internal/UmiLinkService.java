package org.modhub.umi.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Set;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.HubEvent;
import org.modhub.api.event.Severity;
import org.modhub.api.health.ComponentHealth;
import org.modhub.api.health.HealthContributor;
import org.modhub.api.messaging.CommandRefusedException;
import org.modhub.api.messaging.Envelope;
import org.modhub.api.messaging.MessageHandler;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceLogFullException;
import org.modhub.api.han.DeviceType;
import org.modhub.api.keys.DeviceKeyException;
import org.modhub.api.keys.DeviceKeys;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.metering.Reading;
import org.modhub.api.store.StateStore;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
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
 * The intimate meter link of one meter (one configuration or factory configuration of {@value #PID}):
 * either a DLMS association (HLS-GMAC, suite 0; TCP wrapper or HDLC on a serial line) that reads
 * registers, load profile and clock every {@code pollSeconds} and serves the supply commands
 * (disconnect, arm reconnection; close is always refused), or an IEC 62056-21 mode C readout of the
 * optical port. Reads go into the {@link MeteringStore}; meter-reports takes them on to the head end
 * (the link puts its meter in the {@link DeviceLog} so that it does). Failures reconnect with backoff.
 * DLMS keys come from the hub's {@link DeviceKeys} by {@code keyId}; keys given in the configuration are
 * imported there once and removed from it. Without the key service a DLMS link reports
 * {@code UMI_KEYS_UNAVAILABLE} and DEGRADED health and tries again.
 */
@Component(service = {HealthContributor.class, MessageHandler.class}, immediate = true,
        configurationPid = UmiLinkService.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = UmiLinkService.Config.class)
public class UmiLinkService implements HealthContributor, MessageHandler {
    public static final String PID = "org.modhub.umi";
    static final String SOURCE = "umi-link";

    /** How the hub reaches this meter. */
    public enum LinkType {
        /** DLMS/COSEM over the TCP wrapper (IEC 62056-47): {@code host}, {@code port}. */
        DLMS_TCP,
        /** DLMS/COSEM over HDLC (IEC 62056-46) on a serial line: {@code serialDevice}, {@code baudRate}. */
        DLMS_HDLC,
        /** IEC 62056-21 mode C data readout on the optical port: {@code serialDevice}, {@code deviceAddress}. */
        IEC62056_21
    }

    @ObjectClassDefinition(id = PID, name = "modhub intimate meter link", description = "Link to the metrology module: "
            + "DLMS/COSEM (TCP wrapper or HDLC) or IEC 62056-21 mode C readout. One configuration (or factory "
            + "configuration) per meter.")
    public @interface Config {
        @AttributeDefinition(description = "DLMS_TCP, DLMS_HDLC or IEC62056_21.")
        String transport() default "DLMS_TCP";

        @AttributeDefinition(description = "Serial device for DLMS_HDLC and IEC62056_21 (opened by path; a pty works).")
        String serialDevice() default "";

        @AttributeDefinition(min = "300", max = "921600", description = "Baud rate of the HDLC line (8N1).")
        int baudRate() default 9600;

        @AttributeDefinition(description = "IEC 62056-21 device address sent in the sign-on (empty: any meter).")
        String deviceAddress() default "";

        @AttributeDefinition(min = "300", max = "19200", description = "Highest IEC 62056-21 mode C rate the hub accepts.")
        int maxBaudRate() default 19200;

        @AttributeDefinition(description = "Host of the meter's DLMS TCP wrapper (loopback or the module's link address).")
        String host() default "127.0.0.1";

        @AttributeDefinition(min = "1", max = "65535", description = "Port of the DLMS TCP wrapper.")
        int port() default 4059;

        @AttributeDefinition(min = "1", max = "127", description = "Client SAP (1: management client).")
        int clientAddress() default 1;

        @AttributeDefinition(min = "1", max = "16383", description = "Server (logical device) address.")
        int serverAddress() default 1;

        @AttributeDefinition(description = "Id of this meter's DLMS keys (system title, block cipher and authentication"
                + " key) in the hub's device keys (shell keys:put <id> title .. ek .. ak ..). Empty with the three key fields"
                + " below set: the meter id in hex.")
        String keyId() default "";

        @AttributeDefinition(description = "Import once: the hub's DLMS system title, 16 hex digits (moved into the key"
                + " store and removed from this configuration).")
        String systemTitle() default "";

        // keys: private properties (leading '.'), so they are not published as service properties
        @AttributeDefinition(name = ".blockCipherKey", description = "Global unicast encryption key (suite 0), 32 hex digits.")
        String _blockCipherKey() default "";

        @AttributeDefinition(name = ".authenticationKey", description = "Authentication key (suite 0), 32 hex digits.")
        String _authenticationKey() default "";

        @AttributeDefinition(description = "The meter's entity id (EUI-64) under which readings are stored.")
        String meterId();

        @AttributeDefinition(min = "5", max = "86400", description = "Seconds between read cycles.")
        int pollSeconds() default 900;

        @AttributeDefinition(min = "100", max = "120000", description = "Response timeout (ms).")
        int responseTimeoutMs() default 5_000;

        @AttributeDefinition(min = "0", max = "3600000", description = "Largest clock correction the hub sends (ms).")
        int clockWindowMs() default 10_000;

        @AttributeDefinition(min = "0", max = "3600000", description = "Drift below this is not corrected (ms).")
        int clockToleranceMs() default 2_000;

        @AttributeDefinition(min = "1", max = "9528", description = "Hours of load profile read from a new meter.")
        int backfillHours() default 24;

        @AttributeDefinition(description = "Supply command codes, in order: disconnect, arm reconnection, close "
                + "(close is always refused).")
        int[] modhub_message_codes() default {0x0A01, 0x0A02, 0x0A03};
    }

    private final Logger log;
    private final EventLog eventLog;
    private final Config config;
    private final LinkType type;
    private final MeteringStore metering;
    private final String keyId;
    private final DlmsKeys importKeys;
    private final String configurationPid;
    private UmiClient.LinkSettings link;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ConfigurationAdmin configurationAdmin;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile DeviceKeys deviceKeys; // package-private: set by the unit test
    private final DeviceLog deviceLog;
    private boolean enrolled;
    private final long started = System.nanoTime();
    /** How long the first cycles wait, silently, for SCR to bind the key service after construction. */
    private static final Duration BIND_GRACE = Duration.ofSeconds(3);
    private final Eui64 meter;
    private final InvocationCounter counter;
    private final ReadCycle cycle;
    private final ScheduledThreadPoolExecutor executor;
    private UmiClient client;
    private Iec21Line optical;
    private int failures;
    private volatile String problem = "no read cycle yet";

    @Activate
    public UmiLinkService(@Reference MeteringStore metering, @Reference StateStore state, @Reference EventLog eventLog,
            @Reference DeviceLog deviceLog, @Reference(service = LoggerFactory.class) Logger log, Config config,
            Map<String, Object> properties) {
        this.log = log;
        this.deviceLog = deviceLog;
        this.eventLog = eventLog;
        this.config = config;
        this.metering = metering;
        try {
            this.type = LinkType.valueOf(config.transport().strip().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw refuse("transport", "must be DLMS_TCP, DLMS_HDLC or IEC62056_21, not '" + config.transport() + "'");
        }
        if (type != LinkType.DLMS_TCP && config.serialDevice().isBlank()) {
            throw refuse("serialDevice", "required for " + type);
        }
        if (type == LinkType.IEC62056_21) {
            try {
                Iec21Frames.signOn(config.deviceAddress());
            } catch (IllegalArgumentException e) {
                throw refuse("deviceAddress", e.getMessage());
            }
        }
        try {
            this.meter = Eui64.parse(config.meterId());
        } catch (IllegalArgumentException e) {
            throw refuse("meterId", e.getMessage());
        }
        boolean inline = !blank(config.systemTitle()) || !blank(config._blockCipherKey())
                || !blank(config._authenticationKey());
        if (type == LinkType.IEC62056_21) {
            this.keyId = null;
            this.importKeys = null;
        } else {
            this.keyId = blank(config.keyId()) ? (inline ? meter.toHex() : null) : config.keyId().strip();
            if (keyId == null) {
                throw refuse("keyId", "required for " + type + ": the id of this meter's DLMS keys in the key store "
                        + "(keys:put <id> title .. ek .. ak .., or import them once with systemTitle, .blockCipherKey, .authenticationKey)");
            }
            try {
                DeviceKeys.checkKeyId(keyId);
            } catch (IllegalArgumentException e) {
                throw refuse("keyId", e.getMessage());
            }
            if (inline) {
                // the keys come once through configuration: checked here (refusals name the field), moved
                // into the key store on the link's thread, then removed from the configuration
                HexFormat hex = HexFormat.of();
                try {
                    byte[] title = parseHex(hex, config.systemTitle(), "systemTitle");
                    byte[] ek = parseHex(hex, config._blockCipherKey(), ".blockCipherKey");
                    byte[] ak = parseHex(hex, config._authenticationKey(), ".authenticationKey");
                    this.importKeys = new DlmsKeys(title, ek, ak);
                } catch (IllegalArgumentException e) {
                    throw refuse(e.getMessage().contains(":") ? e.getMessage().substring(0, e.getMessage().indexOf(':'))
                            : "keys", e.getMessage());
                }
            } else {
                this.importKeys = null;
            }
        }
        this.configurationPid = String.valueOf(properties.getOrDefault("service.pid", PID));
        if (config.modhub_message_codes().length != 3) {
            throw refuse("modhub.message.codes", "needs 3 codes (disconnect, arm, close)");
        }
        this.counter = new InvocationCounter(() -> state.get(ReadCycle.NAMESPACE, "invocation-counter-" + meter.toHex()),
                b -> state.put(ReadCycle.NAMESPACE, "invocation-counter-" + meter.toHex(), b), 1_000);
        this.cycle = new ReadCycle(metering, state, this::event, Duration.ofHours(config.backfillHours()),
                Duration.ofMillis(config.clockToleranceMs()));
        this.executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "modhub-umi-link");
            t.setDaemon(true);
            return t;
        });
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        executor.execute(this::readCycle);
        log.info("meter link {} for meter {} over {}{}", configurationPid, meter, type,
                keyId == null ? "" : ", DLMS keys '" + keyId + "'" + (importKeys == null ? "" : " (importing)"));
    }

    /**
     * Puts this link's meter in the device log (once, on the link's thread), so that meter-reports, the
     * hub's one path of readings to the head end, reports it. A full device log is an event; reads go on.
     */
    private void enrol() {
        if (enrolled) {
            return;
        }
        try {
            if (!deviceLog.contains(meter)) {
                deviceLog.add(new DeviceLogEntry(meter, DeviceType.ELECTRICITY_METER, Optional.empty(),
                        Optional.ofNullable(keyId), Instant.now()));
                audit("UMI_METER_ENROLLED", Severity.INFO, "meter " + meter + " of link " + configurationPid
                        + " added to the device log" + (keyId == null ? "" : " (key id '" + keyId + "')"));
            }
            enrolled = true;
        } catch (DeviceLogFullException | RuntimeException e) {
            event("UMI_METER_NOT_ENROLLED", Severity.WARNING, "meter " + meter + " is not in the device log, so its"
                    + " readings are stored but not reported to the head end: " + e.getMessage());
        }
    }

    private static final Set<String> IMPORTED_FIELDS = Set.of("systemTitle", ".blockCipherKey", ".authenticationKey");

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    /** The association settings, keys from the key store (imported there first if they came by configuration). */
    private UmiClient.LinkSettings link() throws UmiException {
        if (link == null) {
            DeviceKeys keys = deviceKeys;
            if (keys == null) {
                throw new UmiException.KeysUnavailableException("no device key service (org.modhub.api.keys.DeviceKeys):"
                        + " DLMS keys '" + keyId + "' cannot be looked up", null);
            }
            DlmsKeys k;
            try {
                if (importKeys != null) {
                    keys.put(keyId, importKeys.material(), "imported from configuration " + configurationPid);
                    removeKeysFromConfiguration();
                }
                k = DlmsKeys.lookup(keys, keyId).orElseThrow(() -> new UmiException.KeysUnavailableException(
                        "no DLMS keys '" + keyId + "' in the device keys (keys:put " + keyId + " title .. ek .. ak ..)",
                        null));
            } catch (DeviceKeyException e) {
                throw new UmiException.KeysUnavailableException(e.getMessage(), e);
            }
            link = new UmiClient.LinkSettings(config.clientAddress(), config.serverAddress(), k.systemTitle(),
                    k.blockCipherKey(), k.authenticationKey(), Duration.ofMillis(config.responseTimeoutMs()),
                    Duration.ofMillis(config.clockWindowMs()));
        }
        return link;
    }

    /** Rewrites this link's configuration with {@code keyId} and without the imported keys. */
    private void removeKeysFromConfiguration() {
        ConfigurationAdmin cm = configurationAdmin;
        if (cm == null) {
            log.warn("configuration {}: keys imported into the device keys; no ConfigurationAdmin to remove them from"
                    + " the configuration: remove systemTitle, .blockCipherKey, .authenticationKey and set keyId={}",
                    configurationPid, keyId);
            return;
        }
        try {
            // the configuration object ConfigurationAdmin caches for this pid (objects from listConfigurations
            // are detached copies here)
            int tilde = configurationPid.indexOf('~');
            Configuration c = tilde < 0 ? cm.getConfiguration(configurationPid, "?")
                    : cm.getFactoryConfiguration(configurationPid.substring(0, tilde),
                            configurationPid.substring(tilde + 1), "?");
            Configuration[] found = {c};
            if (c.getProperties() == null) {
                log.warn("configuration {} not found to remove the imported keys from", configurationPid);
                return;
            }
            Dictionary<String, Object> old = found[0].getProperties();
            Hashtable<String, Object> d = new Hashtable<>();
            for (String k : Collections.list(old.keys())) {
                if (!IMPORTED_FIELDS.contains(k)) {
                    d.put(k, old.get(k));
                }
            }
            d.put("keyId", keyId);
            found[0].update(d);
            Dictionary<String, Object> now = found[0].getProperties();
            if (now == null || IMPORTED_FIELDS.stream().anyMatch(f -> now.get(f) != null)) {
                log.error("configuration {}: keys imported, but they are still in the configuration: remove them",
                        configurationPid);
                return;
            }
            audit("UMI_KEYS_IMPORTED", Severity.INFO, "DLMS keys of configuration " + configurationPid
                    + " moved into the device keys as '" + keyId + "' and removed from the configuration");
        } catch (IOException | RuntimeException e) {
            log.error("configuration {}: keys imported, but removing them from the configuration failed: {}",
                    configurationPid, e.toString());
        }
    }

    private static byte[] parseHex(HexFormat hex, String text, String field) {
        try {
            return hex.parseHex(text == null ? "" : text.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + ": not hex");
        }
    }

    private IllegalArgumentException refuse(String field, String reason) {
        String message = "configuration " + PID + " refused: field " + field + ": " + reason;
        log.error(message);
        return new IllegalArgumentException(message);
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        executor.shutdownNow();
        executor.awaitTermination(5, TimeUnit.SECONDS);
        closeClient();
    }

    private void readCycle() {
        try {
            enrol();
            if (type != LinkType.IEC62056_21 && deviceKeys == null
                    && System.nanoTime() - started < BIND_GRACE.toNanos()) {
                schedule(Duration.ofMillis(250)); // the dynamic reference is bound after the constructor returns
                return;
            }
            Object r = type == LinkType.IEC62056_21 ? opticalReadout() : cycle.run(client());
            if (failures > 0) {
                event("UMI_LINK_RESTORED", Severity.INFO, "meter " + meter + " answering again after " + failures
                        + " failed cycle(s)");
            }
            failures = 0;
            problem = "";
            log.debug("read cycle: {}", r);
            schedule(Duration.ofSeconds(config.pollSeconds()));
        } catch (UmiException e) {
            closeClient();
            failures++;
            problem = e.getClass().getSimpleName() + ": " + e.getMessage();
            Duration backoff = Duration.ofSeconds(Math.min(300, 1L << Math.min(8, failures - 1)));
            if (failures == 1 || failures % 10 == 0) {
                event(eventCode(e),
                        Severity.WARNING, problem + "; retrying in " + backoff.toSeconds() + " s (failure " + failures + ")");
            }
            schedule(backoff);
        } catch (RuntimeException e) {
            closeClient();
            failures++;
            problem = "read cycle failed: " + e;
            log.error("umi-link read cycle failed", e);
            schedule(Duration.ofSeconds(60));
        }
    }

    static String eventCode(UmiException e) {
        if (e instanceof UmiException.AssociationRefusedException) {
            return "UMI_ASSOCIATION_REFUSED";
        }
        if (e instanceof UmiException.KeysUnavailableException) {
            return "UMI_KEYS_UNAVAILABLE";
        }
        if (e instanceof UmiException.BadBccException || e instanceof UmiException.MalformedIdentificationException
                || e instanceof UmiException.MalformedReadoutException || e instanceof UmiException.UnknownUnitException
                || e instanceof UmiException.MalformedResponseException) {
            return "UMI_MALFORMED_RESPONSE";
        }
        return "UMI_LINK_FAILED";
    }

    private void schedule(Duration d) {
        try {
            executor.schedule(this::readCycle, d.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // deactivated
        }
    }

    /** One IEC 62056-21 mode C readout into the metering store. */
    private String opticalReadout() throws UmiException {
        if (optical == null) {
            optical = new SerialIec21Line(config.serialDevice(), 300);
        }
        Iec21Client.Readout r = new Iec21Client(optical, config.deviceAddress(),
                Duration.ofMillis(config.responseTimeoutMs()), config.maxBaudRate()).readout();
        List<Reading> readings = Iec21Frames.toReadings(meter, Instant.now(), r.dataSets());
        metering.record(readings);
        return "IEC 62056-21 readout of " + r.identification().manufacturer() + " "
                + r.identification().identification() + ": " + readings.size() + " readings, " + r.bytes() + " bytes";
    }

    private UmiClient client() throws UmiException {
        if (type == LinkType.IEC62056_21) {
            throw new UmiException.RefusedException("meter " + meter
                    + " is read over IEC 62056-21 (readout only): no DLMS association, no supply control");
        }
        if (client == null) {
            link();
            Transport t = type == LinkType.DLMS_HDLC ? new SerialTransport(config.serialDevice(), config.baudRate())
                    : new TcpTransport(config.host(), config.port(), Duration.ofMillis(config.responseTimeoutMs()));
            UmiClient c = new UmiClient(t, link(), counter, meter,
                    type == LinkType.DLMS_HDLC ? UmiClient.Framing.HDLC : UmiClient.Framing.WRAPPER);
            try {
                c.associate();
            } catch (UmiException e) {
                c.close();
                throw e;
            }
            client = c;
        }
        return client;
    }

    private void closeClient() {
        Iec21Line o = optical;
        optical = null;
        if (o != null) {
            o.close();
        }
        UmiClient c = client;
        client = null;
        if (c != null) {
            c.close();
        }
    }

    @Override
    public CompletionStage<Envelope> handle(Envelope command) {
        int[] codes = config.modhub_message_codes();
        int code = command.messageCode();
        if (code == codes[2]) {
            String reason = "close supply refused: the hub only arms reconnection; a person on site closes the supply";
            audit("SUPPLY_CLOSE_REFUSED", Severity.WARNING, reason + " (command " + command.messageId() + ")");
            return CompletableFuture.failedFuture(new CommandRefusedException(code, reason));
        }
        CompletableFuture<Envelope> result = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try {
                    UmiClient.SupplyStatus status;
                    if (code == codes[0]) {
                        status = client().disconnectSupply();
                        audit("SUPPLY_DISCONNECTED", Severity.INFO, "meter " + meter + ": " + status);
                    } else if (code == codes[1]) {
                        status = client().armReconnection();
                        audit("SUPPLY_ARMED", Severity.INFO, "meter " + meter + " ready for reconnection on site: " + status);
                    } else {
                        throw new CommandRefusedException(code, "not a supply command");
                    }
                    result.complete(command.respond(UUID.randomUUID().toString(), command.recipient(), Instant.now(),
                            status.toString().getBytes(StandardCharsets.UTF_8)));
                } catch (UmiException.RefusedException e) {
                    audit("SUPPLY_COMMAND_REFUSED", Severity.WARNING, e.getMessage());
                    result.completeExceptionally(new CommandRefusedException(code, e.getMessage()));
                } catch (UmiException e) {
                    closeClient();
                    result.completeExceptionally(new CommandRefusedException(code, "meter link: " + e.getMessage()));
                } catch (CommandRefusedException e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new CommandRefusedException(code, "meter link stopping"));
        }
        return result;
    }

    @Override
    public ComponentHealth health() {
        String p = problem;
        return p.isEmpty() ? ComponentHealth.up(PID) : ComponentHealth.degraded(PID, p);
    }

    private void event(String code, Severity severity, String detail) {
        log(EventKind.EVENT, code, severity, detail);
    }

    private void audit(String code, Severity severity, String detail) {
        log(EventKind.AUDIT, code, severity, detail);
    }

    private void log(EventKind kind, String code, Severity severity, String detail) {
        log.info("{}: {}", code, detail);
        try {
            eventLog.log(HubEvent.of(kind, code, severity, meter, SOURCE, detail));
        } catch (RuntimeException e) {
            log.error("cannot log event {}: {}", code, e.getMessage());
        }
    }

    Map<String, Object> describe() {
        return Map.of("meter", meter.toString(), "failures", failures);
    }
}
