package org.modhub.umi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modhub.api.common.Eui64;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.Unit;
import org.modhub.emulator.umi.internal.MeterModel;
import org.modhub.emulator.umi.internal.OpticalMeterServer;
import org.modhub.testing.pty.PtyPair;

/** Mode C readout by the real client over a socat pty pair from the emulated meter's optical port. */
class Iec21PtyTest {
    static final Eui64 METER = Eui64.parse("00-11-22-33-44-55-66-77");
    @TempDir
    Path dir;
    PtyPair pty;
    OpticalMeterServer meter;
    MeterModel model;
    Path hubEnd;

    @BeforeEach
    void start() throws Exception {
        assumeTrue(PtyPair.socatInstalled(), "socat is not installed (apt-get install -y socat)");
        pty = PtyPair.start(dir, "meter");
        Path meterEnd = pty.far;
        hubEnd = pty.hub;
        model = MeterModel.standard();
        meter = new OpticalMeterServer(model, meterEnd.toString(), "12345678", "MODHUB-OPT-001", '5');
    }

    @AfterEach
    void stop() throws Exception {
        if (meter != null) {
            meter.close();
        }
        if (pty != null) {
            pty.close();
        }
    }

    Iec21Client client(SerialIec21Line line, String address) {
        return new Iec21Client(line, address, Duration.ofSeconds(3), 19_200);
    }

    @Test
    void modeCReadoutIntoTheMeteringModel() throws Exception {
        try (SerialIec21Line line = new SerialIec21Line(hubEnd.toString(), 300)) {
            Instant before = Instant.now();
            Iec21Client.Readout r = client(line, "").readout();
            assertEquals("MHB", r.identification().manufacturer());
            assertEquals(9600, r.identification().baudRate());
            assertEquals("MODHUB-OPT-001", r.identification().identification());
            List<Reading> readings = Iec21Frames.toReadings(METER, Instant.now(), r.dataSets());
            assertEquals(8, readings.size());
            Reading imp = readings.stream().filter(x -> x.measurand().equals(Measurands.ACTIVE_ENERGY_IMPORT))
                    .findFirst().orElseThrow();
            assertEquals(Unit.WATT_HOUR, imp.unit());
            long expected = model.importWh(before);
            assertTrue(Math.abs(imp.value().longValue() - expected) < 50, imp + " vs " + expected);
            // addressed sign-on, and the registers advance between readouts
            Iec21Client.Readout again = client(line, "12345678").readout();
            assertEquals(r.dataSets().size(), again.dataSets().size());
            // the meter counts a readout once its write has returned, which can be after the client
            // has read the whole message
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (meter.readouts() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(2, meter.readouts());
        }
    }

    @Test
    void faultsGiveTypedErrorsAndTheNextReadoutWorks() throws Exception {
        try (SerialIec21Line line = new SerialIec21Line(hubEnd.toString(), 300)) {
            meter.fault(OpticalMeterServer.Fault.BAD_BCC);
            assertThrows(UmiException.BadBccException.class, () -> client(line, "").readout());
            meter.fault(OpticalMeterServer.Fault.MALFORMED_IDENTIFICATION);
            assertThrows(UmiException.MalformedIdentificationException.class, () -> client(line, "").readout());
            meter.fault(OpticalMeterServer.Fault.UNKNOWN_UNIT);
            Iec21Client.Readout r = client(line, "").readout();
            assertThrows(UmiException.UnknownUnitException.class, () -> Iec21Frames.toReadings(METER, Instant.now(),
                    r.dataSets()));
            meter.fault(OpticalMeterServer.Fault.SILENT);
            assertThrows(UmiException.MeterTimeoutException.class, () -> client(line, "").readout());
            meter.fault(OpticalMeterServer.Fault.NONE);
            assertThrows(UmiException.MeterTimeoutException.class, () -> client(line, "99999999").readout(),
                    "another meter's address gets no answer");
            assertEquals(8, Iec21Frames.toReadings(METER, Instant.now(), client(line, "").readout().dataSets()).size());
        }
    }
}
