package org.modhub.lastgasp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.modhub.api.common.Eui64;
import org.modhub.api.messaging.Envelope;
import org.modhub.api.messaging.MessageType;
import org.modhub.api.power.PowerState;
import org.modhub.api.power.PowerStatus;
import org.modhub.lastgasp.internal.OutageAlertPayload.Kind;
import org.modhub.lastgasp.internal.OutageRecord.Phase;

class OutageTrackerTest {
    static final Eui64 HUB = Eui64.parse("00-DB-12-34-56-78-90-A4");
    static final Eui64 NETWORK_OPERATOR = Eui64.parse("90-B3-D5-1F-30-01-00-00");
    static final Instant T0 = Instant.parse("2026-11-22T03:00:00Z");
    static final Duration QUALIFY = Duration.ofMinutes(3);
    static final Duration WINDOW = Duration.ofMinutes(5);

    final ManualScheduler clock = new ManualScheduler(T0);
    final RecordingSink sink = new RecordingSink();
    long changes;

    OutageTrackerTest() {
        sink.clock = clock;
    }

    static Settings settings(boolean report) {
        return new Settings(report, QUALIFY, Duration.ofMinutes(3), Duration.ofSeconds(60), Duration.ZERO, WINDOW,
                0x8F34, 0x8F35, 0x8F36, HUB, NETWORK_OPERATOR);
    }

    OutageTracker tracker(Settings s, long seed) {
        return new OutageTracker(s, clock, new Random(seed), sink, null);
    }

    OutageTracker started(Settings s) {
        OutageTracker t = tracker(s, 42);
        t.start(status(PowerState.ON), Optional.empty(), T0.minusSeconds(3600));
        return t;
    }

    PowerStatus status(PowerState state) {
        return new PowerStatus(state, clock.now(), changes++);
    }

    void off(OutageTracker t) {
        t.observe(status(PowerState.OFF));
    }

    void on(OutageTracker t) {
        t.observe(status(PowerState.ON));
    }

    static OutageAlertPayload payload(Envelope e) throws Exception {
        return OutageAlertPayload.decode(e.payload());
    }

    @Test
    void theRouterPreparesTheOutageAlertAtLossAndTheExpirySendsExactlyThat() throws Exception {
        sink.prepareAlerts = true;
        OutageTracker t = started(settings(true));
        off(t);
        assertEquals(1, sink.prepared.size(), "prepared (stamped, signed) at loss");
        assertEquals(T0.plus(QUALIFY).toEpochMilli() * 1000, sink.prepared.get(0).envelope().originatorCounter(),
                "counter reserved for the due time");
        clock.advance(QUALIFY);
        assertEquals(1, sink.preparedSent.size());
        assertSame(sink.prepared.get(0), sink.preparedSent.get(0), "the prepared alert itself leaves");
        assertEquals(OutageTracker.OUTAGE_PRIORITY, sink.alerts.get(0).priority());
        // power back and lost again: a new alert is prepared for the new off period
        on(t);
        clock.advance(Duration.ofMinutes(10));
        off(t);
        assertEquals(2, sink.prepared.size());
    }

    @Test
    void outageAlertIsPreparedAtLossAndSentOnlyWhenQualified() throws Exception {
        OutageTracker t = started(settings(true));
        off(t);
        // recorded at once, alert built ahead of time
        assertEquals(Phase.OFF, sink.storedRecord().orElseThrow().phase());
        assertEquals(List.of(OutageTracker.POWER_LOST), sink.codes());
        Envelope prepared = t.preparedOutageAlert().orElseThrow();
        assertEquals(MessageType.ALERT, prepared.type());
        assertEquals(0x8F34, prepared.messageCode());
        assertEquals(HUB, prepared.originator());
        assertEquals(NETWORK_OPERATOR, prepared.recipient());

        clock.advance(QUALIFY.minusSeconds(1));
        assertTrue(sink.alerts.isEmpty(), "no alert before the qualification time");
        clock.advance(Duration.ofSeconds(1));
        assertEquals(1, sink.alerts.size());
        RecordingSink.Sent sent = sink.alerts.get(0);
        assertSame(prepared, sent.alert(), "the alert that leaves is the one built at loss");
        assertEquals(OutageTracker.OUTAGE_PRIORITY, sent.priority());
        assertEquals(T0.plus(QUALIFY), sent.at());
        OutageAlertPayload p = payload(sent.alert());
        assertEquals(Kind.OUTAGE, p.kind());
        assertEquals(T0, p.outageStart());
        assertFalse(sink.storedRecord().orElseThrow().outageAlertSent(), "bookkeeping waits until the alert is out");
        clock.advance(OutageTracker.BOOKKEEPING_DELAY);
        assertTrue(sink.storedRecord().orElseThrow().outageAlertSent());
        assertTrue(sink.codes().contains(OutageTracker.POWER_OUTAGE_ALERT));

        clock.advance(Duration.ofHours(2));
        assertEquals(1, sink.alerts.size(), "one power-outage alert per outage");
    }

    @Test
    void longOutageRestoreAlertUsesTheLongCodeAfterARandomDelayInTheWindow() throws Exception {
        OutageTracker t = started(settings(true));
        off(t);
        clock.advance(Duration.ofMinutes(10));
        on(t);
        Instant restoredAt = clock.now();
        OutageRecord r = sink.storedRecord().orElseThrow();
        assertEquals(Phase.ALERT_PENDING, r.phase());
        assertTrue(r.longOutage());
        Instant due = r.alertDue();
        assertFalse(due.isBefore(restoredAt));
        assertFalse(due.isAfter(restoredAt.plus(WINDOW)));
        clock.advance(WINDOW.plusSeconds(1));
        assertEquals(2, sink.alerts.size());
        RecordingSink.Sent restore = sink.alerts.get(1);
        assertEquals(due, restore.at());
        assertEquals(0x8F36, restore.alert().messageCode());
        OutageAlertPayload p = payload(restore.alert());
        assertEquals(Kind.RESTORED_LONG, p.kind());
        assertEquals(restoredAt, p.restored());
        assertEquals(Duration.ofMinutes(10).toMillis(), p.offMillis());
        assertTrue(sink.storedRecord().isEmpty(), "record cleared once the restore alert is queued");
    }

    @Test
    void shortFlapsAreCoalescedIntoOneRecordAndOneShortRestoreAlert() throws Exception {
        OutageTracker t = started(settings(true));
        for (int i = 0; i < 4; i++) {
            off(t);
            clock.advance(Duration.ofSeconds(20));
            on(t);
            clock.advance(Duration.ofSeconds(30)); // within the 60 s flap window
        }
        assertTrue(sink.alerts.isEmpty());
        assertEquals(List.of(OutageTracker.POWER_LOST), sink.codes(), "one record, not one per flap");
        OutageRecord r = sink.storedRecord().orElseThrow();
        assertEquals(4, r.flaps());
        assertEquals(Phase.RESTORED, r.phase());

        clock.advance(Duration.ofSeconds(31)); // window closes
        assertEquals(1, sink.codes().stream().filter(OutageTracker.POWER_OUTAGE_SHORT::equals).count());
        clock.advance(WINDOW);
        assertEquals(1, sink.alerts.size());
        Envelope restore = sink.alerts.get(0).alert();
        assertEquals(0x8F35, restore.messageCode());
        OutageAlertPayload p = payload(restore);
        assertEquals(Kind.RESTORED, p.kind());
        assertEquals(4, p.flaps());
        assertEquals(80_000, p.offMillis());
        assertEquals(T0, p.outageStart());
    }

    @Test
    void aFlapThatQualifiesSendsTheOutageAlertForItsOwnOffPeriod() throws Exception {
        OutageTracker t = started(settings(true));
        off(t);
        clock.advance(Duration.ofSeconds(170));
        on(t);
        clock.advance(Duration.ofSeconds(10));
        off(t); // continues the record; qualification counts from this loss, not the first
        clock.advance(Duration.ofSeconds(179));
        assertTrue(sink.alerts.isEmpty());
        clock.advance(Duration.ofSeconds(1));
        assertEquals(1, sink.alerts.size());
        assertEquals(2, payload(sink.alerts.get(0).alert()).flaps());
    }

    @Test
    void restoreAlertsOfAHundredHubsSpreadOverTheWindow() {
        Duration window = Duration.ofSeconds(300);
        List<Long> offsets = new ArrayList<>();
        for (int hub = 0; hub < 100; hub++) {
            ManualScheduler c = new ManualScheduler(T0);
            RecordingSink s = new RecordingSink();
            s.clock = c;
            Settings settings = new Settings(true, QUALIFY, QUALIFY, Duration.ofSeconds(60), Duration.ZERO, window,
                    0x8F34, 0x8F35, 0x8F36, Eui64.of(0x00DB000000000000L + hub), NETWORK_OPERATOR);
            // each hub its own random source, as each hub seeds its own
            OutageTracker t = new OutageTracker(settings, c, new Random(0x5EED_0000L + hub * 7919L), s, null);
            t.start(new PowerStatus(PowerState.ON, T0, 0), Optional.empty(), T0);
            t.observe(new PowerStatus(PowerState.OFF, T0, 1)); // the street loses power together
            c.advance(Duration.ofMinutes(30));
            Instant back = c.now();
            t.observe(new PowerStatus(PowerState.ON, back, 2)); // and gets it back together
            c.advance(window.plusSeconds(1));
            assertEquals(2, s.alerts.size(), "hub " + hub);
            offsets.add(Duration.between(back, s.alerts.get(1).at()).toMillis());
        }
        int[] perSecond = new int[301];
        int[] perTenth = new int[10];
        for (long ms : offsets) {
            assertTrue(ms >= 0 && ms <= window.toMillis(), "inside the window: " + ms);
            perSecond[(int) (ms / 1000)]++;
            perTenth[(int) Math.min(9, ms / 30_000)]++;
        }
        int busiestSecond = 0;
        for (int n : perSecond) {
            busiestSecond = Math.max(busiestSecond, n);
        }
        assertTrue(busiestSecond <= 3, "at most 3 of 100 hubs in any one second, got " + busiestSecond);
        for (int i = 0; i < 10; i++) {
            assertTrue(perTenth[i] >= 3 && perTenth[i] <= 20,
                    "each 30 s tenth of the window gets a share: " + java.util.Arrays.toString(perTenth));
        }
        long spread = offsets.stream().mapToLong(Long::longValue).max().orElseThrow()
                - offsets.stream().mapToLong(Long::longValue).min().orElseThrow();
        assertTrue(spread > window.toMillis() * 8 / 10, "spread over most of the window: " + spread + " ms");
    }

    @Test
    void restartDuringAnOutageKeepsTheOriginalQualificationDeadline() throws Exception {
        OutageTracker first = started(settings(true));
        off(first);
        clock.advance(Duration.ofSeconds(100));
        first.stop(); // the hub process restarts; power still off

        OutageTracker second = tracker(settings(true), 7);
        second.start(new PowerStatus(PowerState.OFF, clock.now(), 0), sink.storedRecord(), clock.now());
        assertTrue(sink.codes().contains(OutageTracker.POWER_OUTAGE_RESUMED));
        clock.advance(Duration.ofSeconds(79));
        assertTrue(sink.alerts.isEmpty());
        clock.advance(Duration.ofSeconds(1));
        assertEquals(1, sink.alerts.size(), "alert at loss + 180 s, not boot + 180 s");
        assertEquals(T0, payload(sink.alerts.get(0).alert()).outageStart());
    }

    @Test
    void hubThatDiedAfterItsLastGaspReportsTheRestoreWhenPowerReturns() throws Exception {
        OutageTracker first = started(settings(true));
        off(first);
        clock.advance(QUALIFY);
        assertEquals(1, sink.alerts.size());
        clock.advance(Duration.ofMinutes(20)); // stored energy exhausted: the process simply stops
        first.stop();

        clock.advance(Duration.ofHours(2)); // power comes back, the hub boots
        Instant boot = clock.now();
        clock.advance(Duration.ofSeconds(40));
        OutageTracker second = tracker(settings(true), 8);
        second.start(new PowerStatus(PowerState.ON, clock.now(), 0), sink.storedRecord(), boot);
        assertTrue(sink.codes().contains(OutageTracker.POWER_RESTORED_WHILE_DOWN));
        clock.advance(WINDOW.plusSeconds(1));
        assertEquals(2, sink.alerts.size(), "no second power-outage alert, one restore alert");
        Envelope restore = sink.alerts.get(1).alert();
        assertEquals(0x8F36, restore.messageCode());
        OutageAlertPayload p = payload(restore);
        assertEquals(boot, p.restored(), "restore time estimated from process start");
        assertEquals(Duration.between(T0, boot).toMillis(), p.offMillis());
        assertTrue(sink.storedRecord().isEmpty());
    }

    @Test
    void hubThatDiedBeforeQualificationStillReportsTheLongOutageOnRestore() throws Exception {
        OutageTracker first = started(settings(true));
        off(first);
        clock.advance(Duration.ofSeconds(45)); // small supercap: gone before 3 minutes
        first.stop();
        clock.advance(Duration.ofMinutes(30));
        OutageTracker second = tracker(settings(true), 9);
        second.start(new PowerStatus(PowerState.ON, clock.now(), 0), sink.storedRecord(), clock.now());
        clock.advance(WINDOW.plusSeconds(1));
        assertEquals(1, sink.alerts.size());
        assertEquals(0x8F36, sink.alerts.get(0).alert().messageCode());
        assertTrue(sink.events.stream().anyMatch(e -> e.code().equals(OutageTracker.POWER_RESTORED_WHILE_DOWN)
                && e.detail().contains("was not sent")));
    }

    @Test
    void pendingRestoreAlertSurvivesARestartAndKeepsItsDueTime() throws Exception {
        OutageTracker first = started(settings(true));
        off(first);
        clock.advance(Duration.ofMinutes(4));
        on(first);
        Instant due = sink.storedRecord().orElseThrow().alertDue();
        first.stop();
        OutageTracker second = tracker(settings(true), 10);
        second.start(new PowerStatus(PowerState.ON, clock.now(), 0), sink.storedRecord(), clock.now());
        clock.advance(WINDOW.plusSeconds(1));
        assertEquals(2, sink.alerts.size());
        assertEquals(due, sink.alerts.get(1).at());
    }

    @Test
    void powerLostAgainBeforeTheRestoreAlertSendsItFirst() throws Exception {
        OutageTracker t = started(settings(true));
        off(t);
        clock.advance(Duration.ofMinutes(5));
        on(t);
        assertTrue(sink.storedRecord().orElseThrow().alertDue().isAfter(clock.now()));
        off(t);
        assertEquals(2, sink.alerts.size(), "the restore alert is still true: it goes out before the new outage");
        assertEquals(0x8F36, sink.alerts.get(1).alert().messageCode());
        assertEquals(Phase.OFF, sink.storedRecord().orElseThrow().phase());
        assertEquals(1, sink.storedRecord().orElseThrow().flaps());
    }

    @Test
    void reportingDisabledRecordsOutagesButSendsNothing() throws Exception {
        OutageTracker t = started(settings(false));
        off(t);
        assertTrue(t.preparedOutageAlert().isEmpty());
        clock.advance(Duration.ofMinutes(10));
        on(t);
        clock.advance(Duration.ofHours(1));
        off(t);
        clock.advance(Duration.ofSeconds(5));
        on(t);
        clock.advance(Duration.ofHours(1));
        assertTrue(sink.alerts.isEmpty());
        assertTrue(sink.codes().contains(OutageTracker.POWER_OUTAGE_QUALIFIED));
        assertTrue(sink.codes().contains(OutageTracker.POWER_RESTORED));
        assertTrue(sink.codes().contains(OutageTracker.POWER_OUTAGE_SHORT));
        assertTrue(sink.storedRecord().isEmpty());
    }

    @Test
    void reconfiguringDuringAnOutageRebuildsTheAlert() throws Exception {
        OutageTracker t = started(settings(true));
        off(t);
        clock.advance(Duration.ofSeconds(10));
        Settings changed = new Settings(true, Duration.ofSeconds(30), QUALIFY, Duration.ofSeconds(60), Duration.ZERO,
                WINDOW, 0x1234, 0x8F35, 0x8F36, HUB, NETWORK_OPERATOR);
        t.reconfigure(changed);
        assertEquals(0x1234, t.preparedOutageAlert().orElseThrow().messageCode());
        clock.advance(Duration.ofSeconds(20));
        assertEquals(1, sink.alerts.size());
        assertEquals(0x1234, sink.alerts.get(0).alert().messageCode());
    }

    @Test
    void failedQueueingIsRetriedAndLogged() throws Exception {
        OutageTracker t = started(settings(true));
        off(t);
        sink.failAlerts = true;
        clock.advance(QUALIFY);
        assertTrue(sink.codes().contains(OutageTracker.POWER_ALERT_FAILED));
        assertFalse(sink.storedRecord().orElseThrow().outageAlertSent());
        sink.failAlerts = false;
        clock.advance(OutageTracker.ALERT_RETRY);
        assertEquals(1, sink.alerts.size());
    }

    @Test
    void signerIsAppliedWhenTheAlertIsBuilt() {
        List<String> signedAt = new CopyOnWriteArrayList<>();
        OutageTracker t = new OutageTracker(settings(true), clock, new Random(1), sink, e -> {
            signedAt.add(clock.now() + " " + e.messageId());
            return new Envelope(e.messageId(), e.type(), e.originator(), e.originatorCounter(), e.recipient(),
                    e.dateTime(), e.messageCode(), concat(e.payload(), new byte[] {1, 2, 3}));
        });
        t.start(status(PowerState.ON), Optional.empty(), T0);
        off(t);
        assertEquals(1, signedAt.size(), "signed at loss, ahead of time");
        clock.advance(QUALIFY);
        assertEquals(1, signedAt.size(), "nothing left to sign at expiry");
        assertEquals(OutageAlertPayload.LENGTH + 3, sink.alerts.get(0).alert().payloadLength());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void realTimersQualifyAndRestore() throws Exception {
        List<RecordingSink.Sent> received = new CopyOnWriteArrayList<>();
        RecordingSink s = new RecordingSink() {
            @Override
            public synchronized void alert(Envelope alert, int priority) {
                received.add(new Sent(alert, priority, Instant.now()));
            }
        };
        Settings fast = new Settings(true, Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(100),
                Duration.ZERO, Duration.ofMillis(300), 0x8F34, 0x8F35, 0x8F36, HUB, NETWORK_OPERATOR);
        try (ExecutorScheduler real = new ExecutorScheduler("test-last-gasp")) {
            OutageTracker t = new OutageTracker(fast, real, new Random(3), s, null);
            t.start(new PowerStatus(PowerState.ON, Instant.now(), 0), Optional.empty(), Instant.now());
            t.observe(new PowerStatus(PowerState.OFF, Instant.now(), 1));
            await(() -> received.size() == 1);
            t.observe(new PowerStatus(PowerState.ON, Instant.now(), 2));
            await(() -> received.size() == 2);
            assertEquals(0x8F34, received.get(0).alert().messageCode());
            assertEquals(0x8F36, received.get(1).alert().messageCode());
        }
    }

    static void await(java.util.function.BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!c.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out");
            Thread.sleep(10);
        }
    }

    @Test
    void recordAndPayloadCodecsRefuseMalformedInput() throws Exception {
        OutageRecord r = new OutageRecord(T0, Phase.ALERT_PENDING, T0, T0.plusSeconds(5), 2, 5000, false, false,
                T0.plusSeconds(60));
        assertEquals(r, OutageRecord.decode(r.encode()));
        assertThrows(OutageRecord.MalformedRecordException.class, () -> OutageRecord.decode("garbage".getBytes()));
        assertThrows(OutageRecord.MalformedRecordException.class,
                () -> OutageRecord.decode(new String(r.encode()).replace("version=1", "version=9").getBytes()));
        assertThrows(OutageRecord.MalformedRecordException.class,
                () -> OutageRecord.decode(new String(r.encode()).replace("flaps=2", "flaps=x").getBytes()));
        assertThrows(OutageRecord.MalformedRecordException.class,
                () -> OutageRecord.decode(new String(r.encode()).replace("phase=ALERT_PENDING", "phase=RESTORED")
                        .replace("lastRestore=", "x=").getBytes()).alertDue());

        OutageAlertPayload p = new OutageAlertPayload(Kind.RESTORED, T0, T0.plusSeconds(9), 9000, 1);
        assertEquals(p, OutageAlertPayload.decode(p.encode()));
        assertThrows(OutageAlertPayload.MalformedPayloadException.class, () -> OutageAlertPayload.decode(new byte[29]));
        byte[] bad = p.encode();
        bad[1] = 9;
        assertThrows(OutageAlertPayload.MalformedPayloadException.class, () -> OutageAlertPayload.decode(bad));
        byte[] badVersion = p.encode();
        badVersion[0] = 2;
        assertThrows(OutageAlertPayload.MalformedPayloadException.class, () -> OutageAlertPayload.decode(badVersion));
        assertNotNull(OutageAlertPayload.decode(new OutageAlertPayload(Kind.OUTAGE, T0, null, 1, 1).encode()));
    }

    @Test
    void settingsAreRangeChecked() {
        Settings.InvalidSetting e = assertThrows(Settings.InvalidSetting.class, () -> new Settings(true, QUALIFY, QUALIFY,
                Duration.ZERO, Duration.ofSeconds(10), Duration.ofSeconds(5), 1, 2, 3, HUB, HUB));
        assertEquals("restoreDelayMaxMs", e.field());
        assertEquals("restoredLongAlertCode", assertThrows(Settings.InvalidSetting.class, () -> new Settings(true,
                QUALIFY, QUALIFY, Duration.ZERO, Duration.ZERO, Duration.ZERO, 1, 2, 2, HUB, HUB)).field());
        assertEquals("outageAlertCode", assertThrows(Settings.InvalidSetting.class, () -> new Settings(true,
                QUALIFY, QUALIFY, Duration.ZERO, Duration.ZERO, Duration.ZERO, 0x10000, 2, 3, HUB, HUB)).field());
    }
}
