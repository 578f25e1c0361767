package org.modhub.umi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.modhub.api.common.Eui64;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.metering.ObisCode;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.ReadingQuery;
import org.modhub.api.store.StateStore;
import org.modhub.emulator.umi.internal.MeterKeys;
import org.modhub.emulator.umi.internal.MeterModel;
import org.modhub.emulator.umi.internal.TcpMeterServer;

/** Periodic reads from the emulated meter into the metering store, incrementally, with clock care. */
class ReadCycleTest {
    static final Eui64 METER = Eui64.parse("00-11-22-33-44-55-66-77");
    final List<Reading> readings = new ArrayList<>();
    final List<ProfileSample> samples = new ArrayList<>();
    final Map<String, byte[]> state = new HashMap<>();
    final List<String> events = new ArrayList<>();
    final AtomicReference<byte[]> counterState = new AtomicReference<>();
    TcpMeterServer server;

    final MeteringStore metering = new MeteringStore() {
        @Override
        public void record(Collection<Reading> r) {
            readings.addAll(r);
        }

        @Override
        public void recordProfile(Collection<ProfileSample> s) {
            samples.addAll(s);
        }

        @Override
        public Optional<Reading> latest(Eui64 device, ObisCode measurand) {
            return Optional.empty();
        }

        @Override
        public List<Reading> readings(ReadingQuery query) {
            return List.of();
        }

        @Override
        public List<ProfileSample> profile(ReadingQuery query) {
            return List.of();
        }
    };

    final StateStore store = new StateStore() {
        @Override
        public Optional<byte[]> get(String ns, String key) {
            return Optional.ofNullable(state.get(ns + "/" + key));
        }

        @Override
        public void put(String ns, String key, byte[] value) {
            state.put(ns + "/" + key, value);
        }

        @Override
        public boolean compareAndSet(String ns, String key, byte[] expected, byte[] value) {
            byte[] cur = state.get(ns + "/" + key);
            if (expected == null ? cur != null : !Arrays.equals(cur, expected)) {
                return false;
            }
            state.put(ns + "/" + key, value);
            return true;
        }

        @Override
        public boolean remove(String ns, String key) {
            return state.remove(ns + "/" + key) != null;
        }

        @Override
        public Map<String, byte[]> entries(String ns) {
            return Map.of();
        }
    };

    @AfterEach
    void stop() {
        server.close();
    }

    UmiClient client() throws Exception {
        HexFormat hex = HexFormat.of();
        UmiClient c = new UmiClient(new TcpTransport("127.0.0.1", server.port(), Duration.ofSeconds(5)),
                new UmiClient.LinkSettings(1, 1, hex.parseHex("4D4F444855420001"), hex.parseHex(UmiClientTest.EK),
                        hex.parseHex(UmiClientTest.AK), Duration.ofSeconds(10), Duration.ofSeconds(10)),
                new InvocationCounter(() -> Optional.ofNullable(counterState.get()), counterState::set, 100), METER);
        c.associate();
        return c;
    }

    @Test
    void cyclesFeedTheMeteringStoreIncrementallyAndLookAfterTheClock() throws Exception {
        MeterModel model = MeterModel.standard();
        server = new TcpMeterServer(model, MeterKeys.hex("4D4D4D0000BC614E", UmiClientTest.EK, UmiClientTest.AK), 0);
        ReadCycle cycle = new ReadCycle(metering, store, (code, sev, detail) -> events.add(code), Duration.ofHours(24),
                Duration.ofSeconds(2));
        try (UmiClient c = client()) {
            ReadCycle.Result first = cycle.run(c);
            assertEquals(ObisCodes.REGISTERS.size(), first.readings());
            assertEquals(ObisCodes.REGISTERS.size(), readings.size());
            assertTrue(first.profileSamples() >= 94, "a day of half-hours, import and export: " + first.profileSamples());
            assertEquals(first.profileCursor(), cycle.cursor().orElseThrow(), "cursor persisted");
            assertFalse(first.clockSet(), "clock within tolerance");

            int before = samples.size();
            ReadCycle.Result second = cycle.run(c);
            assertTrue(second.profileSamples() <= 2, "only new intervals on the next cycle: " + second.profileSamples());
            assertEquals(before + second.profileSamples(), samples.size());
            assertEquals(2 * ObisCodes.REGISTERS.size(), readings.size());

            model.drift(Duration.ofSeconds(6));
            ReadCycle.Result third = cycle.run(c);
            assertTrue(third.clockSet());
            assertTrue(events.contains("METER_CLOCK_SET"));
            assertTrue(Duration.between(model.meterTime(), Instant.now()).abs().toMillis() < 1500);

            model.drift(Duration.ofMinutes(3));
            ReadCycle.Result fourth = cycle.run(c);
            assertFalse(fourth.clockSet());
            assertTrue(events.contains("METER_CLOCK_OUT_OF_WINDOW"));
        }
    }
}
