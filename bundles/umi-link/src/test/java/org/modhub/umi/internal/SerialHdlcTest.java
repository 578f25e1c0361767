package org.modhub.umi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modhub.api.common.Eui64;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.modhub.emulator.umi.internal.MeterKeys;
import org.modhub.emulator.umi.internal.MeterModel;
import org.modhub.emulator.umi.internal.SerialMeterServer;
import org.modhub.testing.pty.PtyPair;

/** The client over HDLC on a serial line: a socat pty pair between it and the emulated meter. */
class SerialHdlcTest {
    @TempDir
    Path dir;
    PtyPair pty;
    SerialMeterServer meter;

    @AfterEach
    void stop() throws Exception {
        if (meter != null) {
            meter.close();
        }
        if (pty != null) {
            pty.close();
        }
    }

    @Test
    void hlsAssociationReadsAndClockSetOverHdlcOnAPty() throws Exception {
        assumeTrue(PtyPair.socatInstalled(), "socat is not installed (apt-get install -y socat)");
        pty = PtyPair.start(dir, "meter");
        Path meterEnd = pty.far;
        Path hubEnd = pty.hub;
        MeterModel model = MeterModel.standard();
        meter = new SerialMeterServer(model, MeterKeys.hex("4D4D4D0000BC614E", UmiClientTest.EK, UmiClientTest.AK),
                meterEnd.toString(), 115_200);
        HexFormat hex = HexFormat.of();
        AtomicReference<byte[]> counter = new AtomicReference<>();
        UmiClient.LinkSettings s = new UmiClient.LinkSettings(1, 1, hex.parseHex("4D4F444855420001"),
                hex.parseHex(UmiClientTest.EK), hex.parseHex(UmiClientTest.AK), Duration.ofSeconds(10),
                Duration.ofSeconds(10));
        try (UmiClient c = new UmiClient(new SerialTransport(hubEnd.toString(), 115_200), s,
                new InvocationCounter(() -> Optional.ofNullable(counter.get()), counter::set, 100),
                Eui64.parse("00-11-22-33-44-55-66-77"), UmiClient.Framing.HDLC)) {
            c.associate();
            assertTrue(Duration.between(c.readClock(), Instant.now()).abs().toSeconds() < 5);
            Reading imp = c.readRegister(Measurands.ACTIVE_ENERGY_IMPORT);
            assertTrue(imp.raw() > 12_345_000);
            // a day of profile spans many HDLC frames
            Instant now = Instant.now();
            List<ProfileSample> day = c.readLoadProfile(now.minus(Duration.ofDays(1)), now);
            long imports = day.stream().filter(x -> x.measurand().equals(Measurands.ACTIVE_ENERGY_IMPORT)).count();
            assertTrue(imports >= 47 && imports <= 48, "one day over HDLC: " + imports);
            model.drift(Duration.ofSeconds(3));
            c.setClock(Instant.now());
            assertTrue(Duration.between(model.meterTime(), Instant.now()).abs().toMillis() < 1500);
            assertEquals("DISCONNECTED", c.disconnectSupply().controlState());
            assertEquals("READY_FOR_RECONNECTION", c.armReconnection().controlState());
        }
    }
}
