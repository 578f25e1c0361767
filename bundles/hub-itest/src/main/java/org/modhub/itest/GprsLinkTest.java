package org.modhub.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Hashtable;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.EventQuery;
import org.modhub.api.event.HubEvent;
import org.modhub.api.health.ComponentHealth;
import org.modhub.api.health.HealthState;
import org.modhub.api.health.HubHealth;
import org.modhub.api.wan.LinkState;
import org.modhub.api.wan.WanLink;
import org.modhub.gprs.emulator.internal.ModemEmulator;
import org.modhub.gprs.emulator.internal.ModemEmulator.Network;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

/**
 * The cellular link bundle in the framework: configured through ConfigAdmin (PID
 * {@value #PID}), it drives the modem emulator on a socat pty pair, registers a {@link WanLink} whose
 * {@code wan.state} and {@code wan.signal.dbm} follow the modem, reports its health and logs events in
 * the hub's event log. Without a configuration it is off and the hub stays UP.
 */
@ExtendWith({BundleContextExtension.class, ServiceExtension.class})
class GprsLinkTest {
    static final String PID = "org.modhub.wan.gprs";
    static final String FILTER = "(" + WanLink.TECHNOLOGY + "=gprs)";

    @InjectBundleContext
    BundleContext context;
    @InjectService(timeout = 30_000)
    ConfigurationAdmin cm;
    @InjectService(timeout = 30_000)
    HubHealth health;
    @InjectService(timeout = 30_000)
    EventLog eventLog;

    private Path dir;
    private Process socat;
    private ModemEmulator modem;
    private Configuration config;

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("modhub-gprs-itest");
        Path modemEnd = dir.resolve("modem");
        Path hubEnd = dir.resolve("hub");
        socat = new ProcessBuilder("socat", "-d", "-d", "pty,raw,echo=0,link=" + modemEnd + ",mode=666",
                "pty,raw,echo=0,link=" + hubEnd + ",mode=666").redirectErrorStream(true)
                .redirectOutput(dir.resolve("socat.log").toFile()).start();
        Await.until("socat's ptys", Duration.ofSeconds(20), () -> Files.exists(modemEnd) && Files.exists(hubEnd),
                () -> "");
        modem = new ModemEmulator(modemEnd.toString());
    }

    @AfterEach
    void tearDown() throws Exception {
        if (config != null) {
            config.delete();
            Await.until("the gprs WanLink to go away", Duration.ofSeconds(30), () -> link().isEmpty(), () -> "");
        }
        if (modem != null) {
            modem.close();
        }
        if (socat != null) {
            socat.destroy();
            if (!socat.waitFor(5, TimeUnit.SECONDS)) {
                socat.destroyForcibly();
            }
        }
        if (dir != null) {
            try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private Optional<ServiceReference<WanLink>> link() {
        try {
            return context.getServiceReferences(WanLink.class, FILTER).stream().findFirst();
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private Object property(String name) {
        return link().map(r -> r.getProperty(name)).orElse(null);
    }

    private String describe() {
        return "link properties: " + link().map(r -> {
            StringBuilder sb = new StringBuilder();
            for (String k : r.getPropertyKeys()) {
                sb.append(k).append('=').append(r.getProperty(k)).append(' ');
            }
            return sb.toString();
        }).orElse("no gprs WanLink") + "; health: " + health.components().stream().filter(c -> c.name().equals(PID))
                .map(ComponentHealth::toString).collect(Collectors.joining());
    }

    private void configure(Hashtable<String, Object> props) throws IOException {
        config = cm.getConfiguration(PID, "?");
        config.update(props);
    }

    private Hashtable<String, Object> props() {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("port", dir.resolve("hub").toString());
        p.put("apn", "iot.modhub");
        p.put("pollIntervalMs", 500);
        p.put("commandTimeoutMs", 3000);
        p.put("interfaceName", "wwan0");
        return p;
    }

    @Test
    void linkFollowsTheModemThroughServiceProperties() throws Exception {
        Instant start = Instant.now().minusSeconds(1);
        modem.signal(20);
        configure(props());
        Await.until("wan.state UP", Duration.ofSeconds(60), () -> "UP".equals(property(WanLink.STATE)), this::describe);
        assertEquals(-73, property(WanLink.SIGNAL_DBM), describe());
        assertEquals("wwan0", property(WanLink.INTERFACE));
        ServiceReference<WanLink> ref = link().orElseThrow();
        WanLink link = context.getService(ref);
        try {
            assertEquals("gprs", link.technology());
            assertEquals(LinkState.UP, link.status().state());
            assertEquals(1500, link.properties().mtu());
            assertTrue(link.properties().metered());
        } finally {
            context.ungetService(ref);
        }
        Await.until("health UP for the link", Duration.ofSeconds(30),
                () -> health.components().stream().anyMatch(c -> c.name().equals(PID) && c.state() == HealthState.UP),
                this::describe);

        modem.signal(25);
        Await.until("wan.signal.dbm -63", Duration.ofSeconds(30), () -> Integer.valueOf(-63).equals(property(WanLink.SIGNAL_DBM)),
                this::describe);
        modem.network(Network.NONE);
        Await.until("wan.state DOWN", Duration.ofSeconds(30), () -> "DOWN".equals(property(WanLink.STATE)), this::describe);
        Await.until("health DEGRADED for the link", Duration.ofSeconds(30),
                () -> health.components().stream().anyMatch(c -> c.name().equals(PID) && c.state() == HealthState.DEGRADED),
                this::describe);
        modem.network(Network.ROAMING);
        Await.until("wan.state DEGRADED", Duration.ofSeconds(30), () -> "DEGRADED".equals(property(WanLink.STATE)),
                this::describe);
        modem.network(Network.HOME);
        Await.until("wan.state UP again", Duration.ofSeconds(30), () -> "UP".equals(property(WanLink.STATE)), this::describe);

        Await.until("link state events in the event log", Duration.ofSeconds(30),
                () -> eventLog.query(new EventQuery(start, Instant.MAX, Set.of("GPRS_LINK_STATE"), Optional.empty(), 100))
                        .size() >= 4, () -> "");
        List<HubEvent> events = eventLog.query(new EventQuery(start, Instant.MAX, Set.of("GPRS_LINK_STATE"), Optional.empty(), 100));
        assertTrue(events.stream().allMatch(e -> e.source().equals("gprs-link")), events.toString());
        assertTrue(events.stream().anyMatch(e -> e.detail().startsWith("UP -> DOWN")), events.toString());

        // the shell command (registered with osgi.command.scope=gprs) reports the same
        ServiceReference<?>[] cmds = context.getServiceReferences((String) null, "(osgi.command.scope=gprs)");
        assertNotNull(cmds, "gprs:status registered");
        Object commands = context.getService(cmds[0]);
        try {
            String status = (String) commands.getClass().getMethod("status").invoke(commands);
            assertTrue(status.contains("state        UP"), status);
            assertTrue(status.contains("-63 dBm"), status);
        } finally {
            context.ungetService(cmds[0]);
        }
    }

    @Test
    void badConfigurationIsRefusedNamingTheField() throws Exception {
        Hashtable<String, Object> p = props();
        p.put("pin", "12a");
        configure(p);
        Await.until("health DEGRADED naming the field", Duration.ofSeconds(30),
                () -> health.components().stream().anyMatch(c -> c.name().equals(PID)
                        && c.state() == HealthState.DEGRADED && c.reason().contains("field pin")),
                this::describe);
        assertTrue(link().isEmpty(), "no WanLink from a refused configuration");
        config.delete();
        config = null;
        Await.until("the refused component to go away", Duration.ofSeconds(30),
                () -> health.components().stream().noneMatch(c -> c.name().equals(PID)), this::describe);
    }
}
