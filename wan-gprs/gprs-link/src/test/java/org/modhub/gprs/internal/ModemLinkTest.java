package org.modhub.gprs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modhub.api.event.EventKind;
import org.modhub.api.wan.LinkState;
import org.modhub.gprs.emulator.internal.ModemEmulator;
import org.modhub.gprs.emulator.internal.ModemEmulator.Behaviour;
import org.modhub.gprs.emulator.internal.ModemEmulator.Network;
import org.modhub.gprs.internal.at.AtResponses.SimState;
import org.modhub.gprs.internal.at.RegStatus;

/** The real driver over jSerialComm against the modem emulator on a socat pty pair. */
class ModemLinkTest {
    @TempDir
    Path dir;
    ModemRig rig;

    @BeforeEach
    void setUp() throws Exception {
        rig = new ModemRig(dir);
    }

    @AfterEach
    void tearDown() {
        rig.close();
    }

    @Test
    void attachesAndComesUp() throws Exception {
        rig.modem.signal(20);
        rig.start();
        LinkSnapshot s = rig.awaitState(LinkState.UP);
        assertEquals(Optional.of(SimState.READY), s.sim());
        assertEquals(Optional.of(RegStatus.HOME), s.registration());
        assertEquals(OptionalInt.of(-73), s.signalDbm());
        assertEquals(Optional.of("modhub Mobile"), s.operator());
        assertEquals(Optional.of("10.64.0.2"), s.pdpAddress());
        assertEquals(Optional.of(ModemEmulator.IMEI), s.imei());
        assertEquals(OptionalInt.of(7), s.accessTechnology());
        assertTrue(s.reason().contains("registered home on modhub Mobile (E-UTRAN)"), s.reason());
        assertEquals("iot.modhub", rig.modem.apn(1));
        assertTrue(rig.modem.pdpActive(1));
        List<String> sent = rig.modem.received();
        assertTrue(sent.containsAll(List.of("ATE0", "AT+CMEE=1", "AT+CREG=2", "AT+CGREG=2", "AT+CEREG=2", "AT+CPIN?",
                "AT+CGDCONT=1,\"IP\",\"iot.modhub\"", "AT+CGACT=1,1", "AT+CGPADDR=1")), sent.toString());
        assertFalse(rig.events("GPRS_LINK_STATE").isEmpty());
    }

    @Test
    void signalFollowsCsq() throws Exception {
        rig.start();
        rig.awaitState(LinkState.UP);
        rig.modem.signal(25);
        rig.await(s -> s.signalDbm().equals(OptionalInt.of(-63)), "signal -63 dBm");
        rig.modem.signal(99);
        LinkSnapshot s = rig.await(s2 -> s2.signalDbm().isEmpty(), "signal unknown");
        assertEquals(LinkState.UP, s.state()); // unknown signal is not weak signal
    }

    @Test
    void deregistrationTakesTheLinkDownAndReattachBringsItBack() throws Exception {
        rig.start();
        rig.awaitState(LinkState.UP);
        rig.modem.network(Network.NONE);
        LinkSnapshot down = rig.awaitState(LinkState.DOWN);
        assertEquals(Optional.empty(), down.pdpAddress());
        rig.modem.network(Network.SEARCHING);
        rig.awaitState(LinkState.CONNECTING);
        rig.modem.network(Network.HOME);
        LinkSnapshot up = rig.awaitState(LinkState.UP);
        assertEquals(Optional.of("10.64.0.2"), up.pdpAddress());
        assertTrue(rig.modem.pdpActive(1), "context activated again after re-attach");
        rig.modem.network(Network.DENIED);
        LinkSnapshot denied = rig.awaitState(LinkState.DOWN);
        assertEquals("registration denied", denied.reason());
        rig.awaitEvent("GPRS_REGISTRATION_DENIED");
    }

    @Test
    void unsolicitedCodesAloneTakeTheLinkDown() throws Exception {
        // a long poll interval: only the +CxREG unsolicited codes can report the change in time
        rig.start(rig.settings().withTimings(2000, 3_600_000, 500));
        rig.awaitState(LinkState.UP);
        long t0 = System.nanoTime();
        rig.modem.network(Network.NONE);
        rig.awaitState(LinkState.DOWN);
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(30).toNanos());
        rig.modem.network(Network.HOME);
        rig.awaitState(LinkState.UP);
    }

    @Test
    void roamingAndWeakSignalDegrade() throws Exception {
        rig.start();
        rig.awaitState(LinkState.UP);
        rig.modem.network(Network.ROAMING);
        LinkSnapshot roaming = rig.awaitState(LinkState.DEGRADED);
        assertTrue(roaming.reason().contains("roaming"), roaming.reason());
        rig.modem.network(Network.HOME);
        rig.awaitState(LinkState.UP);
        rig.modem.signal(2); // -109 dBm, below the default -105 dBm
        LinkSnapshot weak = rig.awaitState(LinkState.DEGRADED);
        assertTrue(weak.reason().contains("signal -109 dBm below -105 dBm"), weak.reason());
        rig.modem.signal(20);
        rig.awaitState(LinkState.UP);
    }

    @Test
    void garbageIsReportedAndNeverBlocks() throws Exception {
        rig.start();
        rig.awaitState(LinkState.UP);
        rig.modem.behaviour(Behaviour.GARBAGE);
        rig.awaitEvent("GPRS_GARBAGE");
        long before = rig.driver.snapshot().garbageLines();
        rig.modem.behaviour(Behaviour.NORMAL);
        rig.modem.sendRaw(("\r\n" + "X".repeat(5000) + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        rig.modem.sendRaw(new byte[] {'\r', '\n', 0x00, (byte) 0xff, 0x1b, '[', '\r', '\n'});
        rig.modem.sendLine("!!?? not an AT answer");
        rig.modem.sendLine("+CGREG: banana");
        rig.await(s -> s.garbageLines() >= before + 4, "four more garbage lines counted");
        // the driver still works: a signal change is seen, the link is UP
        rig.modem.signal(10);
        LinkSnapshot s = rig.await(x -> x.signalDbm().equals(OptionalInt.of(-93)) && x.state() == LinkState.UP,
                "UP with -93 dBm after garbage");
        assertEquals(0, s.resets(), "garbage is not silence: no reset");
    }

    @Test
    void silentModemGetsTheResetSequenceAndAnEvent() throws Exception {
        rig.start();
        rig.awaitState(LinkState.UP);
        int mark = rig.modem.received().size();
        rig.modem.behaviour(Behaviour.SILENT);
        ModemRig.Event reset = rig.awaitEvent("GPRS_MODEM_RESET");
        LinkSnapshot down = rig.awaitState(LinkState.DOWN);
        assertEquals("modem not answering", down.reason());
        assertEquals(Optional.empty(), down.registration(), "nothing stale is reported for a silent modem");
        assertEquals(OptionalInt.empty(), down.signalDbm());
        assertEquals(Optional.empty(), down.pdpAddress());
        assertTrue(reset.detail().contains("AT no answer; ATZ no answer; AT+CFUN=1,1 no answer"), reset.detail());
        List<String> sent = rig.modem.received();
        List<String> after = sent.subList(mark, sent.size());
        int at = after.indexOf("AT");
        assertTrue(at >= 0 && after.subList(at, after.size()).containsAll(List.of("ATZ", "AT+CFUN=1,1")), after.toString());
        rig.modem.behaviour(Behaviour.NORMAL);
        LinkSnapshot up = rig.awaitState(LinkState.UP);
        assertTrue(up.resets() >= 1);
    }

    @Test
    void hungModemRecoversThroughCfunReset() throws Exception {
        rig.modem.rebootMillis(500);
        rig.start();
        rig.awaitState(LinkState.UP);
        rig.modem.behaviour(Behaviour.HUNG_UNTIL_RESET);
        rig.awaitEvent("GPRS_MODEM_RESET");
        rig.awaitState(LinkState.DOWN);
        LinkSnapshot up = rig.awaitState(LinkState.UP); // no help from the test: AT+CFUN=1,1 revived it
        assertEquals(1, rig.modem.resets());
        assertTrue(up.resets() >= 1);
        assertTrue(rig.modem.pdpActive(1));
    }

    @Test
    void pinIsEnteredWhenTheSimAsks() throws Exception {
        rig.modem.requirePin("4711");
        rig.start(rig.settings().withPin("4711"));
        rig.awaitState(LinkState.UP);
        assertEquals(3, rig.modem.pinAttemptsLeft());
        assertTrue(rig.modem.received().contains("AT+CPIN=\"4711\""));
        assertTrue(rig.logs.stream().noneMatch(l -> l.contains("4711")), "the PIN never appears in a log line");
    }

    @Test
    void wrongPinIsTriedOnceAndNeverAgain() throws Exception {
        rig.modem.requirePin("4711");
        rig.start(rig.settings().withPin("1234"));
        ModemRig.Event refused = rig.awaitEvent("GPRS_PIN_REFUSED");
        assertEquals(EventKind.AUDIT, refused.kind());
        assertFalse(refused.detail().contains("1234"));
        LinkSnapshot down = rig.awaitState(LinkState.DOWN);
        assertTrue(down.reason().contains("refused the configured PIN"), down.reason());
        assertEquals(2, rig.modem.pinAttemptsLeft());
        // many poll cycles later: still one attempt used
        int polls = countCpinQueries();
        rig.await(s -> countCpinQueries() >= polls + 4, "four more SIM polls");
        assertEquals(2, rig.modem.pinAttemptsLeft());
        // a restarted driver (same durable state, same wrong PIN) does not try it either
        rig.stopDriver();
        rig.start(rig.settings().withPin("1234"));
        int polls2 = countCpinQueries();
        rig.await(s -> countCpinQueries() >= polls2 + 3, "three SIM polls by the new driver");
        assertEquals(2, rig.modem.pinAttemptsLeft());
        assertTrue(rig.driver.snapshot().reason().contains("refused the configured PIN"));
        // the corrected PIN is entered
        rig.stopDriver();
        rig.start(rig.settings().withPin("4711"));
        rig.awaitState(LinkState.UP);
        assertEquals(3, rig.modem.pinAttemptsLeft());
        assertFalse(rig.state.containsKey(ModemController.PIN_REFUSED_KEY));
    }

    @Test
    void pinRequiredButNoneConfigured() throws Exception {
        rig.modem.requirePin("4711");
        rig.start();
        rig.awaitEvent("GPRS_PIN_MISSING");
        LinkSnapshot s = rig.awaitState(LinkState.DOWN);
        assertEquals(Optional.of(SimState.SIM_PIN), s.sim());
        assertEquals(3, rig.modem.pinAttemptsLeft());
    }

    @Test
    void modemWithoutEpsRegistersOverGprs() throws Exception {
        rig.modem.ceregSupported(false).cell("1F00", "00004E21", 3);
        rig.start();
        LinkSnapshot s = rig.awaitState(LinkState.UP);
        assertEquals(OptionalInt.of(3), s.accessTechnology());
        rig.modem.network(Network.NONE);
        rig.awaitState(LinkState.DOWN);
        rig.modem.network(Network.ROAMING);
        rig.awaitState(LinkState.DEGRADED);
    }

    @Test
    void missingPortIsDownWithAnEventAndStopsPromptly() throws Exception {
        rig.start(GprsSettings.defaults(dir.resolve("no-such-port").toString()).withTimings(2000, 500, 500));
        rig.awaitEvent("GPRS_PORT_UNAVAILABLE");
        LinkSnapshot s = rig.awaitState(LinkState.DOWN);
        assertTrue(s.reason().contains("unavailable"), s.reason());
        assertTimeoutPreemptively(Duration.ofSeconds(15), rig::stopDriver);
    }

    @Test
    void closeReturnsWhileACommandIsPending() throws Exception {
        rig.start(rig.settings().withTimings(60_000, 500, 500));
        rig.awaitState(LinkState.UP);
        rig.modem.behaviour(Behaviour.SILENT);
        int n = rig.modem.received().size();
        rig.await(s -> rig.modem.received().size() > n, "a command sent to the silent modem");
        assertTimeoutPreemptively(Duration.ofSeconds(15), rig::stopDriver);
    }

    private int countCpinQueries() {
        return (int) rig.modem.received().stream().filter("AT+CPIN?"::equals).count();
    }
}
