package org.modhub.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modhub.api.messaging.Outbox;
import org.modhub.api.wan.HeadEndSession;
import org.modhub.api.wan.WanLink;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

/** The emulator's configuration: malformed values keep it from activating without harming the rest. */
@ExtendWith({ BundleContextExtension.class, ServiceExtension.class })
class EmulatorConfigurationTest {
    @InjectBundleContext
    BundleContext context;
    @InjectService(timeout = 30_000)
    ConfigurationAdmin cm;
    @InjectService(timeout = 30_000)
    ServiceComponentRuntime scr;
    @InjectService(timeout = 30_000)
    Outbox outbox;

    private Emulator emulator;

    @BeforeEach
    void setUp() throws Exception {
        emulator = new Emulator(context, cm);
        emulator.uninstall();
        emulator.deleteConfiguration();
    }

    @AfterEach
    void tearDown() throws Exception {
        emulator.uninstall();
        emulator.deleteConfiguration();
    }

    private List<Integer> states(Bundle b) {
        ComponentDescriptionDTO d = scr.getComponentDescriptionDTO(b, Emulator.COMPONENT);
        if (d == null) {
            return List.of();
        }
        List<Integer> states = new ArrayList<>();
        for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
            states.add(c.state);
        }
        return states;
    }

    private void assertRefused(Map<String, Object> config) throws Exception {
        emulator.configure(config);
        Bundle b = emulator.installAndStart();
        Await.until("the emulator component to fail activation", Duration.ofSeconds(10),
                () -> states(b).contains(ComponentConfigurationDTO.FAILED_ACTIVATION), () -> "states " + states(b));
        Await.never("the emulator activated with " + config, Duration.ofMillis(500),
                () -> states(b).contains(ComponentConfigurationDTO.ACTIVE) || !emulator.links(null).isEmpty());
        assertTrue(emulator.sessions().isEmpty(), "no head-end session from a refused configuration");
        // everything else keeps running
        assertEquals(Bundle.ACTIVE, b.getState(), "the bundle itself stays active");
        for (Bundle other : context.getBundles()) {
            if (other.getHeaders().get("Fragment-Host") == null) {
                assertEquals(Bundle.ACTIVE, other.getState(), other.getSymbolicName() + " still active");
            }
        }
        assertNotNull(outbox.stats(), "hub-core still serves");
    }

    @Test
    void latencyThatIsNotANumberIsRefused() throws Exception {
        Map<String, Object> c = new HashMap<>();
        c.put("latencyMs", "abc");
        assertRefused(c);
    }

    @Test
    void latencyOutOfRangeIsRefusedAndAFixedConfigurationActivatesOnRestart() throws Exception {
        Map<String, Object> c = new HashMap<>();
        c.put("latencyMs", 70_000);
        assertRefused(c);

        // Felix SCR 2.2.12 does not retry a failed activation of an immediate component when its
        // configuration changes: the fixed configuration takes effect when the bundle restarts.
        c.put("latencyMs", 10);
        emulator.configure(c);
        Bundle b = emulator.requireBundle();
        b.stop();
        b.start();
        Await.until("the emulator to activate with a fixed configuration", Duration.ofSeconds(10),
                () -> states(b).contains(ComponentConfigurationDTO.ACTIVE), () -> "states " + states(b));
        emulator.awaitLinkState("UP");
    }

    @Test
    void malformedUpdateOfAnActiveEmulatorIsRefusedAndTheLastValidConfigurationKept() throws Exception {
        Map<String, Object> c = new HashMap<>();
        c.put("latencyMs", 20);
        emulator.configure(c);
        Bundle b = emulator.installAndStart();
        emulator.awaitLinkState("UP");
        assertTrue(states(b).contains(ComponentConfigurationDTO.ACTIVE), "states " + states(b));
        long serviceId = (Long) emulator.links(null).iterator().next().getProperty(Constants.SERVICE_ID);

        c.put("latencyMs", "abc");
        c.put("state", "DOWN");
        emulator.configure(c);
        // the update is refused as a whole: still UP with 20 ms, same registration
        Await.never("a malformed update was applied", Duration.ofSeconds(1),
                () -> emulator.links("UP").isEmpty() || !states(b).contains(ComponentConfigurationDTO.ACTIVE));
        ServiceReference<WanLink> ref = emulator.links("UP").iterator().next();
        assertEquals(serviceId, ref.getProperty(Constants.SERVICE_ID));
        assertEquals(20, ref.getProperty("emulator.latency.ms"));

        // a valid update is applied on the same registration
        c.put("latencyMs", 5);
        emulator.configure(c);
        emulator.awaitLinkState("DOWN");
        assertEquals(serviceId, emulator.links("DOWN").iterator().next().getProperty(Constants.SERVICE_ID));
    }

    @Test
    void unknownStateIsRefused() throws Exception {
        Map<String, Object> c = new HashMap<>();
        c.put("state", "SIDEWAYS");
        assertRefused(c);
    }

    @Test
    void headEndSendsDownToMatchingSubscriptions(@InjectService(timeout = 30_000) EventAdmin eventAdmin)
            throws Exception {
        emulator.installAndStart();
        emulator.awaitLinkState("UP");
        Collection<ServiceReference<HeadEndSession>> refs = context.getServiceReferences(HeadEndSession.class,
                "(wan.technology=emulated)");
        assertEquals(1, refs.size());
        ServiceReference<HeadEndSession> ref = refs.iterator().next();
        HeadEndSession session = context.getService(ref);
        try {
            CompletableFuture<String> got = new CompletableFuture<>();
            List<String> other = new ArrayList<>();
            HeadEndSession.Subscription s = session.subscribe("itest/+/down/#", 1,
                    (topic, payload) -> got.complete(topic + "=" + new String(payload, StandardCharsets.UTF_8)));
            HeadEndSession.Subscription s2 = session.subscribe("itest/elsewhere", 1, (t, p) -> other.add(t));
            Map<String, Object> props = new HashMap<>();
            props.put("topic", "itest/hub1/down/cmd/1");
            props.put("payload", "ping".getBytes(StandardCharsets.UTF_8));
            eventAdmin.postEvent(new Event("org/modhub/emulator/headend/SEND", props));
            assertEquals("itest/hub1/down/cmd/1=ping", got.get(10, TimeUnit.SECONDS));
            assertTrue(other.isEmpty());
            s.close();
            s2.close();
        } finally {
            context.ungetService(ref);
        }
    }
}
