package org.modhub.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modhub.api.messaging.OutboundMessage;
import org.modhub.api.messaging.Outbox;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

/**
 * The WAN link comes and goes while the outbox fills: messages wait durably while there is no usable
 * head-end session and all arrive once one is back (installed, started, or its link UP again).
 */
@ExtendWith({ BundleContextExtension.class, ServiceExtension.class })
class WanSwapTest {
    static final int[] PRIORITIES = { OutboundMessage.PRIORITY_HIGHEST, OutboundMessage.PRIORITY_NORMAL,
            OutboundMessage.PRIORITY_LOWEST };
    static final Duration QUIET = Duration.ofMillis(1500);

    @InjectBundleContext
    BundleContext context;
    @InjectService(timeout = 30_000)
    Outbox outbox;
    @InjectService(timeout = 30_000)
    ConfigurationAdmin cm;

    private Emulator emulator;
    private HeadEndProbe headEnd;
    private String run;
    private int nextSeq;

    @BeforeEach
    void setUp() throws Exception {
        run = UUID.randomUUID().toString().substring(0, 8);
        emulator = new Emulator(context, cm);
        emulator.uninstall();
        emulator.deleteConfiguration();
        headEnd = new HeadEndProbe(context, run);
        Await.until("no head-end session before the test", () -> emulator.sessions().isEmpty());
    }

    @AfterEach
    void tearDown() throws Exception {
        headEnd.close();
        emulator.uninstall();
        emulator.deleteConfiguration();
    }

    /** Enqueues {@code n} messages of the run with rotating priorities; returns the first seq. */
    private int enqueue(int n, boolean batch) {
        int first = nextSeq;
        List<OutboundMessage> messages = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int seq = nextSeq++;
            int p = PRIORITIES[seq % PRIORITIES.length];
            messages.add(new OutboundMessage(run + "-" + seq, HeadEndProbe.topic(run), p, 1, Instant.now(),
                    HeadEndProbe.payload(run, seq, p)));
        }
        if (batch) {
            outbox.enqueueAll(messages);
        } else {
            messages.forEach(outbox::enqueue);
        }
        return first;
    }

    private void awaitAll(int from, int to) {
        Await.until("messages " + from + ".." + (to - 1) + " at the head end", Duration.ofSeconds(60),
                () -> headEnd.hasAll(from, to),
                () -> "(got " + headEnd.distinctIn(from, to) + " of " + (to - from) + ", outbox " + outbox.stats() + ")");
    }

    private void awaitOutboxEmpty() {
        Await.until("an empty outbox", Duration.ofSeconds(60), () -> outbox.stats().pending() == 0,
                () -> "(" + outbox.stats() + ")");
    }

    private void assertNothingDeliveredFrom(int from, int to) {
        Await.never("a message was delivered while no session was usable", QUIET,
                () -> headEnd.distinctIn(from, to) > 0);
    }

    private Map<String, Object> config(String state, int latencyMs) {
        Map<String, Object> c = new HashMap<>();
        c.put("state", state);
        c.put("latencyMs", latencyMs);
        return c;
    }

    @Test
    void messagesSurviveInstallStopStartAndUninstallOfTheLink() throws Exception {
        // 1. no session: 200 messages wait in the outbox
        int a = enqueue(100, false);
        enqueue(100, true);
        int aEnd = nextSeq;
        assertNothingDeliveredFrom(a, aEnd);
        assertTrue(outbox.stats().pending() >= 200, "pending: " + outbox.stats());

        // the link appears: all 200 arrive exactly once, by priority and in order within each priority
        emulator.configure(config("UP", 0));
        emulator.installAndStart();
        awaitAll(a, aEnd);
        awaitOutboxEmpty();
        Await.sleep(200); // let late duplicates show up, if any
        for (int s = a; s < aEnd; s++) {
            assertEquals(1, headEnd.count(s), "message " + s + " received exactly once");
        }
        List<HeadEndProbe.Msg> first = headEnd.received();
        assertEquals(200, first.size());
        Map<Integer, Integer> lastSeqByPriority = new HashMap<>();
        int lastPriority = -1;
        for (HeadEndProbe.Msg m : first) {
            Integer prev = lastSeqByPriority.put(m.priority(), m.seq());
            assertTrue(prev == null || prev < m.seq(), "FIFO within priority " + m.priority() + ": " + prev
                    + " before " + m.seq());
            assertTrue(m.priority() >= lastPriority, "all were queued before the link came: priority order, got p"
                    + m.priority() + " after p" + lastPriority);
            lastPriority = m.priority();
        }

        // 2. slow link, more traffic; stop the emulator bundle mid-stream
        emulator.configure(config("UP", 50)); // 50 ms per publish window of the outbox
        Await.until("latency applied", () -> !emulator.links(null).isEmpty()
                && Integer.valueOf(50).equals(emulator.links(null).iterator().next().getProperty("emulator.latency.ms")));
        int b = enqueue(300, false);
        int bEnd = nextSeq;
        Await.until("part of the second batch at the head end", () -> headEnd.distinctIn(b, bEnd) >= 40);
        Bundle bundle = emulator.requireBundle();
        bundle.stop();
        int seenB = headEnd.distinctIn(b, bEnd);
        System.out.println("WanSwapTest: emulator stopped after " + seenB + " of 300 messages of the second batch");
        assertTrue(emulator.sessions().isEmpty(), "no session once the emulator is stopped");
        int c = enqueue(100, true);
        int cEnd = nextSeq;
        assertNothingDeliveredFrom(c, cEnd);
        long pending = outbox.stats().pending();
        assertTrue(pending >= 100, "the outbox holds the messages while the link is stopped: " + outbox.stats()
                + ", second batch received " + seenB + " of 300 before the stop");

        // start again: all arrive
        bundle.start();
        awaitAll(b, cEnd);

        // 3. uninstall the link, queue more, install it again
        emulator.uninstall();
        assertTrue(emulator.sessions().isEmpty());
        int d = enqueue(100, false);
        int dEnd = nextSeq;
        assertNothingDeliveredFrom(d, dEnd);
        assertTrue(outbox.stats().pending() >= 100, "pending: " + outbox.stats());
        emulator.installAndStart();
        awaitAll(d, dEnd);

        // every message was received at least once, and none is left
        for (int s = 0; s < nextSeq; s++) {
            assertTrue(headEnd.count(s) >= 1, "message " + s + " never arrived");
        }
        awaitOutboxEmpty();
    }

    @Test
    void messagesWaitWhileTheLinkIsDownAndFlowWhenItIsUpAgain() throws Exception {
        emulator.configure(config("UP", 0));
        emulator.installAndStart();
        emulator.awaitLinkState("UP");
        int a = enqueue(50, false);
        awaitAll(a, nextSeq);

        // link DOWN through ConfigAdmin: same registration, wan.state follows
        long regId = (Long) emulator.links(null).iterator().next().getProperty(org.osgi.framework.Constants.SERVICE_ID);
        emulator.configure(config("DOWN", 0));
        emulator.awaitLinkState("DOWN");
        assertEquals(regId, emulator.links(null).iterator().next().getProperty(org.osgi.framework.Constants.SERVICE_ID),
                "a state change updates the service properties; it does not re-register");
        int b = enqueue(50, true);
        int bEnd = nextSeq;
        assertNothingDeliveredFrom(b, bEnd);
        assertTrue(outbox.stats().pending() >= 50, "pending while DOWN: " + outbox.stats());

        emulator.configure(config("CONNECTING", 0));
        emulator.awaitLinkState("CONNECTING");
        assertNothingDeliveredFrom(b, bEnd);

        emulator.configure(config("UP", 0));
        emulator.awaitLinkState("UP");
        awaitAll(b, bEnd);
        awaitOutboxEmpty();
    }

    @Test
    void messagesArriveDespiteRefusedPublishes() throws Exception {
        Map<String, Object> c = config("UP", 0);
        // hub-core publishes windows of 32 and backs off (doubling) after each window with a failure:
        // keep n near the window so the test does not wait for long backoffs
        c.put("failEveryNth", 25);
        emulator.configure(c);
        emulator.installAndStart();
        int a = enqueue(60, false);
        awaitAll(a, nextSeq);
        awaitOutboxEmpty();
    }
}
