package org.modhub.emulator.wan.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.modhub.api.wan.HeadEndSession.Subscription;
import org.modhub.api.wan.LinkState;

class EmulatedWanLinkTest {
    private final List<Map<String, Object>> events = new CopyOnWriteArrayList<>();
    private final List<String> eventTopics = new CopyOnWriteArrayList<>();
    private final EmulatedWanLink link = new EmulatedWanLink((t, p) -> {
        eventTopics.add(t);
        events.add(p);
    });

    @AfterEach
    void stop() {
        link.stop();
    }

    private static EmulatorSettings settings(LinkState state, int latency, int failEveryNth) {
        return new EmulatorSettings(state, latency, failEveryNth, 1500, 0);
    }

    private static Throwable failure(CompletableFuture<Instant> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
        return e.getCause();
    }

    @Test
    void publishIsConfirmedAndReported() throws Exception {
        link.start(settings(LinkState.UP, 0, 0));
        byte[] payload = "hello".getBytes(StandardCharsets.UTF_8);
        long before = System.currentTimeMillis();
        Instant confirmed = link.publish("app/data", payload, 1).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertTrue(confirmed.toEpochMilli() >= before);
        assertEquals(List.of(EmulatedWanLink.TOPIC_RECEIVED), eventTopics);
        Map<String, Object> e = events.get(0);
        assertEquals("app/data", e.get("topic"));
        assertArrayEquals(payload, (byte[]) e.get("payload"));
        assertEquals(1, e.get("qos"));
        assertEquals(confirmed.toEpochMilli(), e.get("received"));
        assertEquals(1, link.lastReceived().size());
        assertEquals(1, link.receivedCount());
    }

    @Test
    void publishCompletesOnADaemonSchedulerThreadAfterTheLatency() throws Exception {
        // a latency long enough that the callback is registered before completion even on a loaded machine
        link.start(settings(LinkState.UP, 1_000, 0));
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        CompletableFuture<Instant> f = link.publish("app/data", new byte[3], 0).toCompletableFuture();
        CompletableFuture<Void> done = f.thenAccept(i -> threads.add(Thread.currentThread()));
        assertFalse(f.isDone());
        // wait on the dependent only: a thread blocked in f.get() may itself run f's dependents
        done.get(5, TimeUnit.SECONDS);
        f.get(5, TimeUnit.SECONDS);
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(990));
        assertTrue(threads.get(0).isDaemon());
        assertTrue(threads.get(0).getName().startsWith("modhub-emulator-wan"));
    }

    @Test
    void publishesAreReportedInOrder() throws Exception {
        link.start(settings(LinkState.UP, 1, 0));
        List<CompletableFuture<Instant>> all = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            all.add(link.publish("app/seq", Integer.toString(i).getBytes(StandardCharsets.UTF_8), 1).toCompletableFuture());
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        assertEquals(100, events.size());
        for (int i = 0; i < 100; i++) {
            assertEquals(Integer.toString(i), new String((byte[]) events.get(i).get("payload"), StandardCharsets.UTF_8));
        }
    }

    @Test
    void publishFailsWhenTheLinkIsNotUsable() throws Exception {
        link.start(settings(LinkState.DOWN, 0, 0));
        assertFalse(link.isConnected());
        assertTrue(failure(link.publish("a/b", new byte[1], 1).toCompletableFuture()) instanceof IllegalStateException);
        link.update(settings(LinkState.CONNECTING, 0, 0));
        failure(link.publish("a/b", new byte[1], 1).toCompletableFuture());
        assertEquals(LinkState.CONNECTING, link.status().state());

        link.update(settings(LinkState.DEGRADED, 0, 0)); // usable, but impaired
        assertTrue(link.isConnected());
        link.publish("a/b", new byte[1], 1).toCompletableFuture().get(5, TimeUnit.SECONDS);
        link.update(settings(LinkState.UP, 0, 0));
        link.publish("a/b", new byte[1], 1).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertEquals(2, events.size());
        assertEquals(LinkState.UP, link.status().state());
    }

    @Test
    void linkGoingDownFailsPublishesOnTheWire() throws Exception {
        link.start(settings(LinkState.UP, 300, 0));
        CompletableFuture<Instant> f = link.publish("a/b", new byte[1], 1).toCompletableFuture();
        link.update(settings(LinkState.DOWN, 300, 0));
        failure(f);
        assertTrue(events.isEmpty());
    }

    @Test
    void failEveryNthRefusesEveryNthPublish() throws Exception {
        link.start(settings(LinkState.UP, 0, 3));
        int ok = 0;
        int failed = 0;
        for (int i = 1; i <= 9; i++) {
            CompletableFuture<Instant> f = link.publish("a/b", new byte[1], 1).toCompletableFuture();
            try {
                f.get(5, TimeUnit.SECONDS);
                ok++;
                assertTrue(i % 3 != 0, "publish " + i + " should have been refused");
            } catch (ExecutionException e) {
                failed++;
                assertEquals(0, i % 3, "publish " + i + " should have succeeded");
            }
        }
        assertEquals(6, ok);
        assertEquals(3, failed);
        assertEquals(6, events.size());
    }

    @Test
    void payloadLargerThanTheMtuIsRefused() throws Exception {
        link.start(new EmulatorSettings(LinkState.UP, 0, 0, 10, 0));
        assertEquals(10, link.maxPayloadSize());
        assertEquals(10, link.properties().mtu());
        failure(link.publish("a/b", new byte[11], 1).toCompletableFuture());
        link.publish("a/b", new byte[10], 1).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void invalidTopicOrQosIsRefused() {
        link.start(settings(LinkState.UP, 0, 0));
        failure(link.publish("a/#", new byte[1], 1).toCompletableFuture());
        failure(link.publish("", new byte[1], 1).toCompletableFuture());
        failure(link.publish("a/b", new byte[1], 3).toCompletableFuture());
    }

    @Test
    void stopCompletesPendingPublishesExceptionally() throws Exception {
        link.start(settings(LinkState.UP, 60_000, 0));
        CompletableFuture<Instant> f1 = link.publish("a/b", new byte[1], 1).toCompletableFuture();
        CompletableFuture<Instant> f2 = link.publish("a/c", new byte[1], 1).toCompletableFuture();
        long start = System.nanoTime();
        link.stop();
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
        failure(f1);
        failure(f2);
        assertFalse(link.isConnected());
        assertEquals(LinkState.DOWN, link.status().state());
        failure(link.publish("a/b", new byte[1], 1).toCompletableFuture());
        assertTrue(events.isEmpty());
    }

    @Test
    void headEndMessagesReachMatchingSubscriptions() throws Exception {
        link.start(settings(LinkState.UP, 0, 0));
        List<String> commands = new CopyOnWriteArrayList<>();
        List<String> all = new CopyOnWriteArrayList<>();
        CompletableFuture<String> got = new CompletableFuture<>();
        Subscription s1 = link.subscribe("hub/+/command", 1, (t, p) -> {
            commands.add(t + "=" + new String(p, StandardCharsets.UTF_8));
        });
        link.subscribe("#", 1, (t, p) -> {
            all.add(t);
            if (t.equals("end/marker")) {
                got.complete(t);
            }
        });
        assertEquals(2, link.sendToHub("hub/abc/command", "x".getBytes(StandardCharsets.UTF_8)));
        assertEquals(1, link.sendToHub("hub/abc/other", new byte[0]));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (all.size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        s1.close();
        assertEquals(1, link.sendToHub("hub/def/command", new byte[0]));
        link.sendToHub("end/marker", new byte[0]);
        got.get(5, TimeUnit.SECONDS);
        assertEquals(List.of("hub/abc/command=x"), commands);
        assertEquals(List.of("hub/abc/command", "hub/abc/other", "hub/def/command", "end/marker"), all);
    }

    @Test
    void headEndMessagesAreNotDeliveredWhileTheLinkIsDown() {
        link.start(settings(LinkState.DOWN, 0, 0));
        link.subscribe("#", 1, (t, p) -> {
        });
        assertEquals(0, link.sendToHub("a/b", new byte[0]));
    }

    @Test
    void invalidFilterIsRefused() {
        link.start(settings(LinkState.UP, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> link.subscribe("a/#/b", 1, (t, p) -> {
        }));
    }

    @Test
    void settingsAreRangeChecked() {
        assertThrows(IllegalArgumentException.class, () -> settings(LinkState.UP, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> settings(LinkState.UP, 60_001, 0));
        assertThrows(IllegalArgumentException.class, () -> settings(LinkState.UP, 0, -1));
        assertThrows(IllegalArgumentException.class, () -> settings(null, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new EmulatorSettings(LinkState.UP, 0, 0, 0, 0));
        settings(LinkState.UP, 60_000, 0);
    }

    @Test
    void invalidConfigurationNamesPidAndField() {
        EmulatedWanConfig config = new EmulatedWanConfig() {
            @Override
            public Class<? extends java.lang.annotation.Annotation> annotationType() {
                return EmulatedWanConfig.class;
            }

            @Override
            public LinkState state() {
                return LinkState.UP;
            }

            @Override
            public int latencyMs() {
                throw new IllegalArgumentException("For input string: \"abc\"");
            }

            @Override
            public int failEveryNth() {
                return 0;
            }

            @Override
            public int mtu() {
                return 1500;
            }

            @Override
            public int headend_preference() {
                return 0;
            }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EmulatorSettings.from(config, EmulatedWanLink.PID));
        assertTrue(e.getMessage().contains("org.modhub.emulator.wan"), e.getMessage());
        assertTrue(e.getMessage().contains("latencyMs"), e.getMessage());
    }
}
