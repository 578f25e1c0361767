package org.modhub.umi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.modhub.api.common.Eui64;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.Unit;
import org.modhub.emulator.umi.internal.MeterKeys;
import org.modhub.emulator.umi.internal.MeterModel;
import org.modhub.emulator.umi.internal.TcpMeterServer;

/** The real client against the emulated metrology module over the TCP wrapper, with HLS-GMAC. */
class UmiClientTest {
    static final String EK = "000102030405060708090A0B0C0D0E0F";
    static final String AK = "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF";
    static final Eui64 METER = Eui64.parse("00-11-22-33-44-55-66-77");
    static final HexFormat HEX = HexFormat.of();

    TcpMeterServer server;
    final AtomicReference<byte[]> storedCounter = new AtomicReference<>();

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    TcpMeterServer start(MeterModel model) throws Exception {
        server = new TcpMeterServer(model, MeterKeys.hex("4D4D4D0000BC614E", EK, AK), 0);
        return server;
    }

    InvocationCounter counter() {
        return new InvocationCounter(() -> Optional.ofNullable(storedCounter.get()), storedCounter::set, 100);
    }

    UmiClient.LinkSettings settings(String ek, Duration clockWindow) {
        return new UmiClient.LinkSettings(1, 1, HEX.parseHex("4D4F444855420001"), HEX.parseHex(ek), HEX.parseHex(AK),
                Duration.ofSeconds(10), clockWindow);
    }

    UmiClient connect(UmiClient.LinkSettings s, InvocationCounter c) throws Exception {
        UmiClient client = new UmiClient(new TcpTransport("127.0.0.1", server.port(), Duration.ofSeconds(5)), s, c, METER);
        client.associate();
        return client;
    }

    UmiClient connect() throws Exception {
        return connect(settings(EK, Duration.ofSeconds(10)), counter());
    }

    @Test
    void hlsGmacAssociationAndEveryRead() throws Exception {
        start(MeterModel.standard());
        try (UmiClient c = connect()) {
            assertTrue(c.isAssociated());
            Instant clock = c.readClock();
            assertTrue(Duration.between(clock, Instant.now()).abs().toSeconds() < 5, "meter clock " + clock);

            Reading imp = c.readRegister(Measurands.ACTIVE_ENERGY_IMPORT);
            Reading t1 = c.readRegister(Measurands.ACTIVE_ENERGY_IMPORT.withTariff(1));
            Reading t2 = c.readRegister(Measurands.ACTIVE_ENERGY_IMPORT.withTariff(2));
            Reading exp = c.readRegister(Measurands.ACTIVE_ENERGY_EXPORT);
            Reading power = c.readRegister(Measurands.ACTIVE_POWER_IMPORT);
            Reading exportPower = c.readRegister(Measurands.ACTIVE_POWER_EXPORT);
            assertEquals(Unit.WATT_HOUR, imp.unit());
            assertEquals(0, imp.scaler());
            assertEquals(METER, imp.device());
            assertTrue(imp.raw() > 12_345_000, "import advances from its offset: " + imp);
            assertTrue(Math.abs(t1.raw() + t2.raw() - imp.raw()) < 100, "tariffs add up to the total");
            assertTrue(exp.raw() > 1_234_000);
            assertEquals(Unit.WATT, power.unit());
            assertTrue(power.raw() >= 400 && power.raw() <= 1200, "power " + power);
            assertEquals(200, exportPower.raw());
            for (var obis : ObisCodes.REGISTERS) {
                c.readRegister(obis);
            }

            Reading later = c.readRegister(Measurands.ACTIVE_ENERGY_IMPORT);
            assertTrue(later.raw() >= imp.raw(), "registers do not run backwards");
        }
    }

    @Test
    void loadProfileIsReadIncrementallyByTimeRange() throws Exception {
        start(MeterModel.standard());
        try (UmiClient c = connect()) {
            Instant now = Instant.now();
            Instant from = now.minus(Duration.ofHours(6));
            List<ProfileSample> first = c.readLoadProfile(from, now);
            List<ProfileSample> imports = first.stream().filter(s -> s.measurand().equals(Measurands.ACTIVE_ENERGY_IMPORT))
                    .toList();
            assertTrue(imports.size() >= 10 && imports.size() <= 12, "about 6 h of half-hours: " + imports.size());
            for (ProfileSample s : imports) {
                assertEquals(Duration.ofMinutes(30), s.interval());
                assertTrue(s.raw() >= 190 && s.raw() <= 610, "half-hour consumption between 400 and 1200 W: " + s.raw());
                assertFalse(s.intervalEnd().isBefore(from));
                assertEquals(0, s.intervalEnd().getEpochSecond() % 1800);
            }
            assertEquals(imports.size(), first.size() - imports.size(), "export samples for the same intervals");
            // incremental: from the last stored interval end, nothing is read twice
            Instant last = imports.get(imports.size() - 1).intervalEnd();
            List<ProfileSample> next = c.readLoadProfile(last, Instant.now());
            assertTrue(next.stream().allMatch(s -> s.intervalEnd().isAfter(last)), "only intervals after " + last);
            // a day: 48 half-hours
            List<ProfileSample> day = c.readLoadProfile(now.minus(Duration.ofDays(1)), now);
            long dayImports = day.stream().filter(s -> s.measurand().equals(Measurands.ACTIVE_ENERGY_IMPORT)).count();
            assertTrue(dayImports >= 47 && dayImports <= 48, "one day of load profile: " + dayImports);
        }
    }

    @Test
    void wrongKeyIsRefusedAsAnAssociationFailure() throws Exception {
        start(MeterModel.standard());
        UmiClient c = new UmiClient(new TcpTransport("127.0.0.1", server.port(), Duration.ofSeconds(5)),
                settings("FF0102030405060708090A0B0C0D0E0F", Duration.ofSeconds(10)), counter(), METER);
        assertThrows(UmiException.AssociationRefusedException.class, c::associate);
        c.close();
        // the meter keeps serving correct clients
        try (UmiClient ok = connect()) {
            ok.readClock();
        }
    }

    @Test
    void clockIsSetOnlyWithinTheValidityWindow() throws Exception {
        MeterModel model = MeterModel.standard(); // the meter accepts changes up to 10 s
        start(model);
        model.drift(Duration.ofSeconds(4));
        try (UmiClient c = connect()) {
            Duration change = c.setClock(Instant.now());
            assertTrue(change.isNegative(), "corrects the 4 s drift: " + change);
            assertTrue(Duration.between(model.meterTime(), Instant.now()).abs().toMillis() < 1500);
        }
        model.drift(Duration.ofMinutes(5));
        try (UmiClient c = connect()) {
            Instant before = model.meterTime();
            assertThrows(UmiException.RefusedException.class, () -> c.setClock(Instant.now()));
            assertTrue(Duration.between(before, model.meterTime()).abs().toSeconds() < 5, "nothing sent");
        }
        try (UmiClient wide = connect(settings(EK, Duration.ofMinutes(10)), counter())) {
            // the hub's window is wider than the meter's: the meter refuses
            assertThrows(UmiException.MeterErrorException.class, () -> wide.setClock(Instant.now()));
        }
        assertTrue(model.events().stream().anyMatch(e -> e.code() == MeterModel.EVENT_CLOCK_SET));
    }

    @Test
    void remoteReconnectOnlyArmsAndClosingIsRefused() throws Exception {
        MeterModel model = MeterModel.standard(); // control mode 4
        start(model);
        try (UmiClient c = connect()) {
            assertTrue(c.readSupply().outputConnected());
            UmiClient.SupplyStatus off = c.disconnectSupply();
            assertFalse(off.outputConnected());
            assertEquals("DISCONNECTED", off.controlState());
            UmiClient.SupplyStatus armed = c.armReconnection();
            assertFalse(armed.outputConnected(), "armed, not closed");
            assertEquals("READY_FOR_RECONNECTION", armed.controlState());
            UmiException.RefusedException refused = assertThrows(UmiException.RefusedException.class, c::closeSupply);
            assertTrue(refused.getMessage().contains("person on site"));
            assertTrue(model.localReconnect(), "the person on site closes it");
            assertTrue(c.readSupply().outputConnected());
            List<Map.Entry<Instant, Integer>> log = c.readEventLog();
            assertTrue(log.stream().map(Map.Entry::getValue).toList().containsAll(List.of(
                    MeterModel.EVENT_DISCONNECTED, MeterModel.EVENT_READY_FOR_RECONNECTION, MeterModel.EVENT_RECONNECTED)),
                    "event log " + log);
        }
    }

    @Test
    void aMeterWhoseRemoteReconnectWouldCloseTheSupplyIsNeverSentOne() throws Exception {
        MeterModel model = new MeterModel(0, 0, Duration.ofSeconds(10), 1);
        start(model);
        try (UmiClient c = connect()) {
            c.disconnectSupply();
            assertThrows(UmiException.RefusedException.class, c::armReconnection);
            assertEquals(MeterModel.SupplyState.DISCONNECTED, model.supply(), "nothing was sent");
        }
    }

    @Test
    void invocationCounterIsNeverReusedAcrossAssociationsAndRestarts() throws Exception {
        start(MeterModel.standard());
        long firstEnd;
        try (UmiClient c = connect()) {
            for (int i = 0; i < 150; i++) { // more than one reserved block of 100
                c.readClock();
            }
            firstEnd = c.invocationCounter();
        }
        long persisted = InvocationCounter.stored(Optional.ofNullable(storedCounter.get()));
        assertTrue(persisted > firstEnd, "the persisted ceiling " + persisted + " lies above every used value " + firstEnd);
        // a restarted hub: a fresh counter over the same stored state
        try (UmiClient c = connect(settings(EK, Duration.ofSeconds(10)), counter())) {
            assertTrue(c.invocationCounter() >= persisted, "resumes at the ceiling: " + c.invocationCounter());
            c.readClock();
        }
    }

    @Test
    void aMeterThatStopsAnsweringTimesOut() throws Exception {
        start(MeterModel.standard());
        UmiClient.LinkSettings s = new UmiClient.LinkSettings(1, 1, HEX.parseHex("4D4F444855420001"), HEX.parseHex(EK),
                HEX.parseHex(AK), Duration.ofMillis(500), Duration.ofSeconds(10));
        try (UmiClient c = connect(s, counter())) {
            server.setSilent(true);
            long t0 = System.nanoTime();
            assertThrows(UmiException.MeterTimeoutException.class, c::readClock);
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(10).toNanos(), "no hung thread");
        }
    }

    @Test
    void garbageFromTheMeterIsAMalformedResponse() throws Exception {
        try (ServerSocket fake = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket s = fake.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                    byte[] buf = new byte[1024];
                    in.read(buf);
                    // a wrapper header announcing 4 bytes, then an APDU that is not one
                    out.write(new byte[] {0, 1, 0, 1, 0, 1, 0, 4, (byte) 0xEE, (byte) 0xFF, 0x13, 0x37});
                    out.flush();
                    Thread.sleep(2000);
                } catch (Exception ignored) {
                    // closing
                }
            });
            t.setDaemon(true);
            t.start();
            UmiClient.LinkSettings s = new UmiClient.LinkSettings(1, 1, HEX.parseHex("4D4F444855420001"),
                    HEX.parseHex(EK), HEX.parseHex(AK), Duration.ofSeconds(1), Duration.ofSeconds(10));
            UmiClient c = new UmiClient(new TcpTransport("127.0.0.1", fake.getLocalPort(), Duration.ofSeconds(5)), s,
                    counter(), METER);
            UmiException e = assertThrows(UmiException.class, c::associate);
            assertFalse(e instanceof UmiException.LinkException, "typed, not a raw link failure: " + e);
            c.close();
        }
    }
}
