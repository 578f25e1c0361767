package org.modhub.zigbee.internal;

import org.modhub.testing.memory.MemoryEventLog;
import org.modhub.testing.memory.MemoryStateStore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.modhub.api.common.Eui64;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceType;
import org.modhub.api.han.DisplayPrice;
import org.modhub.api.han.HanNetworkState;
import org.modhub.api.han.InstallCode;
import org.modhub.api.han.MessageExpiredException;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.Unit;
import org.modhub.zigbee.emulator.internal.ElectricityMeter;
import org.modhub.zigbee.emulator.internal.EmulatedDevice;
import org.modhub.zigbee.emulator.internal.EmulatedNetwork;
import org.modhub.zigbee.emulator.internal.GasMeter;
import org.modhub.zigbee.emulator.internal.InHomeDisplay;

/** The real coordinator against the emulated ZigBee network, through the library's transport SPI. */
class CoordinatorTest {
    static final long ESME = 0x000D6F0000000001L;
    static final long GSME = 0x000D6F0000000002L;
    static final long IHD = 0x000D6F0000000003L;
    static final long STRANGER = 0x000D6F00000000FFL;
    static final Duration WAIT = Duration.ofSeconds(90);

    final MemoryStateStore state = new MemoryStateStore();
    final Fakes.Devices deviceLog = new Fakes.Devices();
    final Fakes.Metering metering = new Fakes.Metering();
    final MemoryEventLog events = new MemoryEventLog();
    final Fakes.Gas gas = new Fakes.Gas();
    volatile org.modhub.api.gas.GasProxy gasProxy = gas;
    EmulatedNetwork air;
    Coordinator hub;
    ElectricityMeter esme;
    GasMeter gsme;
    InHomeDisplay ihd;

    static byte[] code(int seed) {
        byte[] c = new byte[16];
        for (int i = 0; i < c.length; i++) {
            c[i] = (byte) (seed * 31 + i * 7);
        }
        return InstallCode.withCrc(c).octets();
    }

    @BeforeEach
    void setUp() {
        air = new EmulatedNetwork(0x000D6F00000000AAL);
        esme = new ElectricityMeter(ESME, code(1), 1_234_567, 480);
        gsme = new GasMeter(GSME, code(2), 5_000_000, 1500, 40_000);
        ihd = new InHomeDisplay(IHD, code(3));
        air.add(esme);
        air.add(gsme);
        air.add(ihd);
    }

    @AfterEach
    void tearDown() {
        if (hub != null) {
            hub.shutdown();
        }
        air.close();
    }

    Coordinator start(Duration expiryCheck) throws Exception {
        Coordinator c = new Coordinator(air, new Coordinator.Settings(15, Duration.ofHours(24), 2, expiryCheck), deviceLog,
                state, metering, () -> events, () -> gasProxy, Fakes.logger(), Clock.systemUTC());
        assertEquals(HanNetworkState.UP, c.formOrRestore().toCompletableFuture().get(30, TimeUnit.SECONDS), c.reason());
        return c;
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    void commission(EmulatedDevice d, DeviceType type) throws Exception {
        deviceLog.add(DeviceLogEntry.withInstallCode(Eui64.of(d.ieee()), type, InstallCode.of(d.installCode())));
        hub.permitJoining(Eui64.of(d.ieee()), Duration.ofSeconds(60));
        await("join permitted", air::isJoinPermitted);
        assertTrue(air.tryJoin(d), d + " joins");
        await(d + " discovered", () -> hub.discovered(Eui64.of(d.ieee())));
    }

    @Test
    void installCodeHashesToTheSpecificationsLinkKey() {
        // ZigBee test vector: install code 83FED3407A939723A5C639B26916D505 C3B5 -> link key 66B6900981E1EE3CA4206B6B861C02BB
        InstallCode code = InstallCode.parse("83FED3407A939723A5C639B26916D505C3B5");
        int[] key = Coordinator.linkKey(code).getValue();
        byte[] b = new byte[key.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) key[i];
        }
        assertEquals("66B6900981E1EE3CA4206B6B861C02BB", HexFormat.of().withUpperCase().formatHex(b));
    }

    @Test
    void formsANetworkAndRestoresItAfterARestart() throws Exception {
        hub = start(Duration.ofSeconds(1));
        assertEquals(1, events.count("HAN_NETWORK_FORMED"));
        commission(esme, DeviceType.ELECTRICITY_METER);
        int pan = air.getZigBeePanId();
        hub.shutdown();

        hub = start(Duration.ofSeconds(1));
        assertEquals(1, events.count("HAN_NETWORK_RESTORED"));
        assertEquals(pan, air.getZigBeePanId());
        assertTrue(hub.device(Eui64.of(ESME)).isPresent(), "the meter is admitted again from the stored network");
        // and still talked to: a payload goes through the tunnel
        byte[] payload = {1, 2, 3};
        hub.send(Eui64.of(ESME), payload, Duration.ofMinutes(1)).toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertArrayEquals(payload, esme.tunnelled().get(0));
    }

    @Test
    void joinsOnlyDevicesInTheDeviceLog() throws Exception {
        hub = start(Duration.ofSeconds(1));
        commission(esme, DeviceType.ELECTRICITY_METER);
        assertEquals(1, events.count("DEVICE_JOINED"));

        // a device that is not in the device log: refused, logged, told to leave
        ElectricityMeter stranger = new ElectricityMeter(STRANGER, code(9), 0, 0);
        air.add(stranger);
        hub.permitJoining(Eui64.of(ESME), Duration.ofSeconds(60));
        await("join permitted", air::isJoinPermitted);
        assertFalse(air.tryJoin(stranger));
        await("refusal logged", () -> events.count("JOIN_REFUSED") == 1);
        assertTrue(hub.device(Eui64.of(STRANGER)).isEmpty());

        // a device in the device log with a different install code: the trust centre does not authenticate it
        InHomeDisplay wrongCode = new InHomeDisplay(IHD, code(3));
        deviceLog.add(DeviceLogEntry.withInstallCode(Eui64.of(IHD), DeviceType.IN_HOME_DISPLAY,
                InstallCode.of(code(4))));
        air.add(wrongCode);
        hub.permitJoining(Eui64.of(IHD), Duration.ofSeconds(60));
        assertFalse(air.tryJoin(wrongCode));
        assertEquals(1, air.refusedByTrustCentre() - 1);
        await("failed join is undone", () -> hub.device(Eui64.of(IHD)).isEmpty());
    }

    @Test
    void meteringReportsLandInTheMeteringModel() throws Exception {
        hub = start(Duration.ofSeconds(1));
        commission(esme, DeviceType.ELECTRICITY_METER);
        esme.startReporting(200);
        await("energy reading", () -> metering.latest(Eui64.of(ESME), Measurands.ACTIVE_ENERGY_IMPORT).isPresent());
        await("power reading", () -> metering.latest(Eui64.of(ESME), Measurands.ACTIVE_POWER_IMPORT).isPresent());
        Reading power = metering.latest(Eui64.of(ESME), Measurands.ACTIVE_POWER_IMPORT).get();
        assertEquals(Unit.WATT, power.unit());
        assertEquals(0, power.value().compareTo(BigDecimal.valueOf(480)), power.toString());
        Reading energy = metering.latest(Eui64.of(ESME), Measurands.ACTIVE_ENERGY_IMPORT).get();
        assertEquals(Unit.WATT_HOUR, energy.unit());
        assertTrue(energy.value().compareTo(BigDecimal.valueOf(1_234_567)) > 0, energy.toString());
        assertTrue(energy.value().compareTo(BigDecimal.valueOf(esme.summationWh())) <= 0);
    }

    @Test
    void pricesMessagesAndTimeReachTheDisplay() throws Exception {
        hub = start(Duration.ofSeconds(1));
        commission(ihd, DeviceType.IN_HOME_DISPLAY);
        DisplayPrice price = new DisplayPrice(7, "Standard", 42, 826, 3, 24_512, Instant.parse("2026-11-22T00:00:00Z"),
                Duration.ofDays(1));
        assertEquals(1, hub.publishPrice(price).toCompletableFuture().get(10, TimeUnit.SECONDS));
        await("price shown", () -> ihd.prices().size() == 1);
        assertEquals(24_512, ihd.prices().get(0).price());
        assertEquals(826, ihd.prices().get(0).currency());
        assertEquals("Standard", ihd.prices().get(0).rateLabel());

        ihd.requestCurrentPrice();
        await("price asked for", () -> ihd.prices().size() == 2);
        assertEquals(42, ihd.prices().get(1).issuerEventId());

        int confirmed = hub.displayMessage(77, "Meter reading due", Duration.ofMinutes(30)).toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
        assertEquals(1, confirmed);
        assertEquals("Meter reading due", ihd.messages().get(0).text());

        InHomeDisplay.ReadResult time = ihd.read(0x000A, 1, 0x0000, 0x0001).get(60, TimeUnit.SECONDS);
        long utc = time.values().get(0x0000) + Coordinator.ZIGBEE_EPOCH;
        assertTrue(Math.abs(utc - Instant.now().getEpochSecond()) < 60, "UTC time " + utc);
        assertEquals(0x09L, time.values().get(0x0001));
    }

    @Test
    void tunnelCarriesHeadEndPayloadsUnchanged() throws Exception {
        hub = start(Duration.ofSeconds(1));
        commission(esme, DeviceType.ELECTRICITY_METER);
        byte[] a = new byte[60]; // one APS frame
        for (int i = 0; i < a.length; i++) {
            a[i] = (byte) (i * 13);
        }
        byte[] b = {(byte) 0xDD, 0x00, 0x7F};
        hub.send(Eui64.of(ESME), a, Duration.ofMinutes(1)).toCompletableFuture().get(60, TimeUnit.SECONDS);
        hub.send(Eui64.of(ESME), b, Duration.ofMinutes(1)).toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertEquals(2, esme.tunnelled().size());
        assertArrayEquals(a, esme.tunnelled().get(0));
        assertArrayEquals(b, esme.tunnelled().get(1));
    }

    @Test
    void messagesForTheSleepyGasMeterWaitForItsWakeUpOrExpire() throws Exception {
        hub = start(Duration.ofMillis(50));
        commission(gsme, DeviceType.GAS_METER);
        gsme.sleep(); // end of the fast poll after joining
        int framesBefore = gsme.framesReceived();

        CompletableFuture<Instant> later = hub.send(Eui64.of(GSME), new byte[] {9, 8, 7}, Duration.ofHours(1))
                .toCompletableFuture();
        CompletableFuture<Instant> expiring = hub.send(Eui64.of(GSME), new byte[] {1}, Duration.ofMillis(300))
                .toCompletableFuture();
        assertEquals(2, hub.queuedForSleepy());
        ExecutionException expired = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> expiring.get(60, TimeUnit.SECONDS));
        assertInstanceOf(MessageExpiredException.class, expired.getCause());
        await("expiry logged", () -> events.count("SLEEPY_MESSAGE_EXPIRED") == 1);
        assertFalse(later.isDone());
        assertEquals(framesBefore, gsme.framesReceived(), "nothing was sent to the sleeping meter");
        assertEquals(0, air.framesToSleepingDevice());

        gsme.wakeUp();
        later.get(60, TimeUnit.SECONDS);
        assertArrayEquals(new byte[] {9, 8, 7}, gsme.tunnelled().get(0));
        assertEquals(0, hub.queuedForSleepy());
    }

    @Test
    void gasPushesFeedTheGasProxyAndTheMirrorServesDisplaysWithoutWakingTheMeter() throws Exception {
        hub = start(Duration.ofSeconds(1));
        commission(gsme, DeviceType.GAS_METER);
        commission(ihd, DeviceType.IN_HOME_DISPLAY);
        gsme.sleep(); // end of the fast poll after joining
        gsme.wakeUp(); // first push: the hub learns the meter's formatting while it is awake
        await("formatting read", () -> gsme.framesReceived() > 0);
        await("gas meter asleep", () -> !gsme.isAwake());
        gsme.wakeUp();
        await("push reached the gas proxy", () -> !gas.pushes.isEmpty());
        var push = gas.pushes.get(gas.pushes.size() - 1);
        assertEquals(0, push.volume().compareTo(BigDecimal.valueOf(gsme.litres()).movePointLeft(3)), push.toString());
        assertTrue(push.todayEnergyWh() > 0);
        assertTrue(push.todayCostMinor() > 0);
        await("gas meter asleep", () -> !gsme.isAwake());

        int framesBefore = gsme.framesReceived();
        int nakBefore = air.framesToSleepingDevice();
        InHomeDisplay.ReadResult r = ihd.read(0x0702, 2, 0x0000, 0x0300, 0x0302, 0x0C00, 0x0A00, 0x0004, 0x0400)
                .get(60, TimeUnit.SECONDS);
        assertEquals(push.volumeRaw(), r.values().get(0x0000));
        assertEquals(1L, r.values().get(0x0300));
        assertEquals(1000L, r.values().get(0x0302));
        assertEquals(push.todayEnergyWh(), r.values().get(0x0C00));
        assertEquals(push.todayCostMinor(), r.values().get(0x0A00));
        assertEquals(push.capturedAt().getEpochSecond() - Coordinator.ZIGBEE_EPOCH, r.values().get(0x0004));
        assertEquals(0x86, r.statuses().get(0x0400));
        assertEquals(framesBefore, gsme.framesReceived(), "the mirror read never reached the gas meter");
        assertEquals(nakBefore, air.framesToSleepingDevice(), "nor was it tried");
    }

    @Test
    void malformedFramesAreRefusedAndTheNetworkKeepsRunning() throws Exception {
        hub = start(Duration.ofSeconds(1));
        commission(esme, DeviceType.ELECTRICITY_METER);
        int hubEndpoint = 1;
        esme.sendRaw(0x0702, hubEndpoint, new int[] {0x18, 0x05}); // shorter than a ZCL header
        esme.sendRaw(0x0702, hubEndpoint, new int[] {0x1B, 0x06, 0x0A}); // reserved frame type
        esme.sendRaw(0x0702, hubEndpoint, new int[] {0x18, 0x07, 0x0A, 0x00, 0x00, 0x25, 0x01}); // uint48 cut short
        esme.sendRaw(0x0702, hubEndpoint, new int[] {0x18, 0x08, 0x0A, 0x00, 0x00, 0x99, 0x01}); // unknown data type
        await("four refusals", () -> events.count("ZCL_FRAME_MALFORMED") == 4);
        assertEquals(4, hub.malformedFrames());
        assertEquals(0, air.hostExceptions());
        assertEquals(HanNetworkState.UP, hub.state());
        esme.startReporting(200);
        await("readings after the bad frames",
                () -> metering.latest(Eui64.of(ESME), Measurands.ACTIVE_ENERGY_IMPORT).isPresent());
    }

    @Test
    void tunnelCarriesPayloadsLongerThanOneApsFrameInFragments() throws Exception {
        hub = start(Duration.ofSeconds(1));
        commission(esme, DeviceType.ELECTRICITY_METER);
        byte[] big = new byte[400]; // 405-octet ZCL frame: six APS fragments of at most 78 octets
        new java.util.Random(4).nextBytes(big);
        byte[] exact = new byte[73]; // 78-octet ZCL frame: still one APS frame
        new java.util.Random(5).nextBytes(exact);
        byte[] one = new byte[74]; // 79 octets: two fragments
        new java.util.Random(6).nextBytes(one);
        for (byte[] p : java.util.List.of(big, exact, one)) {
            try {
                hub.send(Eui64.of(ESME), p, Duration.ofMinutes(1)).toCompletableFuture().get(60, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw new AssertionError("diagnostics: len=" + p.length + " reassembled=" + air.reassembledMessages() + " hostEx="
                        + air.hostExceptions() + " tunnelled=" + esme.tunnelled().size() + " frames=" + esme.framesReceived()
                        + " events=" + events.events.stream().map(x -> x.code() + ":" + x.detail()).toList(), e);
            }
        }
        assertEquals(3, esme.tunnelled().size());
        assertArrayEquals(big, esme.tunnelled().get(0));
        assertArrayEquals(exact, esme.tunnelled().get(1));
        assertArrayEquals(one, esme.tunnelled().get(2));
        assertEquals(2, air.reassembledMessages(), "the 400- and 74-octet payloads went in fragments");
    }

    @Test
    void sleepyQueueSurvivesARestartAndStillExpires() throws Exception {
        hub = start(Duration.ofMillis(50));
        commission(gsme, DeviceType.GAS_METER);
        gsme.sleep();
        byte[] kept = {4, 5, 6, 7};
        byte[] expiring = {1, 1};
        CompletableFuture<Instant> first = hub.send(Eui64.of(GSME), kept, Duration.ofHours(24)).toCompletableFuture();
        hub.send(Eui64.of(GSME), expiring, Duration.ofSeconds(3));
        assertEquals(2, hub.queuedForSleepy());
        assertEquals(2, state.entries(StoreDataStore.NAMESPACE).keySet().stream().filter(k -> k.startsWith(Coordinator.SLEEPY_PREFIX)).count(),
                "both messages are in the state store");
        hub.shutdown();
        assertTrue(first.isCompletedExceptionally(), "this run's caller is told it will not hear the outcome");

        hub = start(Duration.ofMillis(50));
        assertEquals(1, events.count("SLEEPY_QUEUE_RESTORED"));
        await("the short-lived message expires after the restart", () -> events.count("SLEEPY_MESSAGE_EXPIRED") == 1);
        assertEquals(1, hub.queuedForSleepy());
        assertEquals(0, gsme.tunnelled().size(), "nothing reached the sleeping meter");

        gsme.wakeUp();
        await("the kept message delivered at the wake-up", () -> gsme.tunnelled().size() == 1);
        assertArrayEquals(kept, gsme.tunnelled().get(0));
        await("delivery logged", () -> events.count("SLEEPY_MESSAGE_DELIVERED") == 1);
        assertEquals(0, hub.queuedForSleepy());
        assertEquals(0, state.entries(StoreDataStore.NAMESPACE).keySet().stream().filter(k -> k.startsWith(Coordinator.SLEEPY_PREFIX)).count(),
                "nothing left in the state store");
        assertEquals(1, gsme.tunnelled().size(), "the expired message was never sent");
    }

    static org.modhub.gas.internal.GasProxyService.Config mirrorConfig() {
        return new org.modhub.gas.internal.GasProxyService.Config() {
            @Override
            public Class<? extends java.lang.annotation.Annotation> annotationType() {
                return org.modhub.gas.internal.GasProxyService.Config.class;
            }

            @Override
            public int staleAfterMinutes() {
                return 65;
            }

            @Override
            public int maxRecoveryDays() {
                return 31;
            }

            @Override
            public int maxClockAheadSeconds() {
                return 300;
            }
        };
    }

    @Test
    void gapInTheRealMirrorIsFilledFromTheMeterAfterItWasUnreachable() throws Exception {
        org.modhub.gas.internal.GasProxyService mirror = new org.modhub.gas.internal.GasProxyService(metering, state,
                deviceLog, Fakes.logger(), mirrorConfig());
        gasProxy = mirror;
        hub = start(Duration.ofSeconds(1));
        mirror.addRecovery(hub);
        commission(gsme, DeviceType.GAS_METER);
        gsme.sleep();
        // the meter's clock six hours back, one minute past a half hour, half an hour further at each wake-up
        long halfHour = Duration.ofMinutes(30).toMillis();
        long start = (System.currentTimeMillis() - Duration.ofHours(6).toMillis()) / halfHour * halfHour;
        gsme.setClock(Instant.ofEpochMilli(start + 60_000), Duration.ofMinutes(30));
        gsme.wakeUp(); // at start: the hub learns the meter's formatting
        try {
            await("formatting read", () -> gsme.framesReceived() > 0);
        } catch (AssertionError e) {
            throw new AssertionError("diagnostics: wakeUps=" + gsme.wakeUps() + " hostEx=" + air.hostExceptions() + " history="
                    + gsme.history().size() + " awake=" + gsme.isAwake() + " events="
                    + events.events.stream().map(x -> x.code() + ":" + x.detail()).toList(), e);
        }
        await("gas meter asleep", () -> !gsme.isAwake());
        Eui64 meter = Eui64.of(GSME);
        for (int k = 1; k <= 2; k++) { // start + 30, + 60 min reach the mirror
            gsme.wakeUp();
            long boundary = start + k * halfHour;
            await("push " + k + " in the mirror", () -> mirror.read(meter)
                    .filter(r -> r.capturedAt().toEpochMilli() / halfHour * halfHour == boundary).isPresent());
        }
        gsme.setInRange(false); // the HAN is down for an hour and a half: three captures never reach the hub
        for (int k = 3; k <= 5; k++) {
            gsme.wakeUp();
        }
        gsme.setInRange(true);
        int sleepingBefore = air.framesToSleepingDevice();
        gsme.wakeUp(); // start + 3 h: the mirror sees the gap and asks the meter while it is awake
        long sixth = start + 6 * halfHour;
        await("push 6 in the mirror", () -> mirror.read(meter)
                .filter(r -> r.capturedAt().toEpochMilli() / halfHour * halfHour == sixth).isPresent());
        Instant from = Instant.ofEpochMilli(start + 2 * halfHour);
        Instant to = Instant.ofEpochMilli(start + 6 * halfHour + 1);
        try {
            await("gap filled", () -> mirror.halfHourly(meter, from, to).size() == 5);
        } catch (AssertionError e) {
            throw new AssertionError("diagnostics: samples=" + mirror.halfHourly(meter, from, to) + " history="
                    + gsme.history().stream().map(h -> Instant.ofEpochSecond(h[0]) + "=" + h[1]).toList() + " events="
                    + events.events.stream().map(x -> x.code() + ":" + x.detail()).toList(), e);
        }
        java.util.List<org.modhub.api.metering.ProfileSample> samples = mirror.halfHourly(meter, from, to);
        for (int i = 0; i < samples.size(); i++) {
            var s = samples.get(i);
            assertEquals(Instant.ofEpochMilli(start + (2 + i) * halfHour), s.intervalEnd());
            assertEquals(0, BigDecimal.valueOf(s.raw()).scaleByPowerOfTen(s.scaler()).compareTo(new BigDecimal("0.037")),
                    "37 litres each half hour: " + s);
        }
        assertEquals(1, events.count("GAS_RECOVERY_QUEUED"));
        assertEquals(1, events.count("GAS_RECOVERY_ANSWERED"));
        assertEquals(sleepingBefore, air.framesToSleepingDevice(), "recovery never tried a sleeping meter");
    }
}
