package org.modhub.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.modhub.api.common.Eui64;
import org.modhub.api.metering.ObisCode;
import org.modhub.api.metering.ProfileSample;
import org.modhub.emulator.umi.internal.MeterKeys;
import org.modhub.emulator.umi.internal.MeterModel;
import org.modhub.emulator.umi.internal.TcpMeterServer;
import org.modhub.umi.internal.InvocationCounter;
import org.modhub.umi.internal.TcpTransport;
import org.modhub.umi.internal.Transport;
import org.modhub.umi.internal.UmiClient;
import org.modhub.umi.internal.UmiException;

/**
 * {@code bench/run umi}: a full read cycle against the emulated metrology module over the TCP
 * wrapper on loopback — association, the 8 registers, one day of load profile (48 rows), the clock,
 * release — as umi-link does it (HLS-GMAC, suite 0, every APDU authenticated and encrypted): cycles/s
 * and bytes per cycle. Peer: the same cycle as an unciphered public-client association, in the same
 * run, interleaved: the cost of the security.
 */
public final class UmiBench {
    private static final int RUNS = Integer.getInteger("bench.runs", 5);
    private static final long RUN_MS = Long.getLong("bench.umi.ms", 3_000);
    static final String EK = "000102030405060708090A0B0C0D0E0F";
    static final String AK = "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF";
    static final List<ObisCode> REGISTERS = List.of(ObisCode.parse("1.0.1.8.0.255"), ObisCode.parse("1.0.1.8.1.255"),
            ObisCode.parse("1.0.1.8.2.255"), ObisCode.parse("1.0.2.8.0.255"), ObisCode.parse("1.0.2.8.1.255"),
            ObisCode.parse("1.0.2.8.2.255"), ObisCode.parse("1.0.1.7.0.255"), ObisCode.parse("1.0.2.7.0.255"));

    /** Counts the bytes a transport carries. */
    static final class Counting implements Transport {
        final Transport inner;
        final AtomicLong bytes;

        Counting(Transport inner, AtomicLong bytes) {
            this.inner = inner;
            this.bytes = bytes;
        }

        @Override
        public void write(byte[] b) throws UmiException {
            bytes.addAndGet(b.length);
            inner.write(b);
        }

        @Override
        public byte[] read(Instant deadline) throws UmiException {
            byte[] b = inner.read(deadline);
            bytes.addAndGet(b.length);
            return b;
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    public static void main(String[] args) throws Exception {
        HexFormat hex = HexFormat.of();
        AtomicReference<byte[]> counterState = new AtomicReference<>();
        InvocationCounter counter = new InvocationCounter(() -> Optional.ofNullable(counterState.get()),
                counterState::set, 100_000);
        UmiClient.LinkSettings hls = new UmiClient.LinkSettings(1, 1, hex.parseHex("4D4F444855420001"), hex.parseHex(EK),
                hex.parseHex(AK), Duration.ofSeconds(10), Duration.ofSeconds(10));
        UmiClient.LinkSettings pub = new UmiClient.LinkSettings(16, 1, hls.systemTitle(), hls.blockCipherKey(),
                hls.authenticationKey(), hls.responseTimeout(), hls.clockWindow());
        Eui64 meter = Eui64.parse("00-11-22-33-44-55-66-77");
        double[] rate = new double[RUNS];
        double[] bytes = new double[RUNS];
        double[] peerRate = new double[RUNS];
        double[] peerBytes = new double[RUNS];
        try (TcpMeterServer server = new TcpMeterServer(MeterModel.standard(), MeterKeys.hex("4D4D4D0000BC614E", EK, AK),
                0, true)) {
            for (int warm = 0; warm < 30; warm++) {
                cycle(server.port(), hls, counter, meter, true, new AtomicLong());
                cycle(server.port(), pub, counter, meter, false, new AtomicLong());
            }
            for (int r = 0; r < RUNS; r++) {
                double[] secured = run(server.port(), hls, counter, meter, true);
                double[] plain = run(server.port(), pub, counter, meter, false);
                rate[r] = secured[0];
                bytes[r] = secured[1];
                peerRate[r] = plain[0];
                peerBytes[r] = plain[1];
                System.err.printf("run %d: HLS-GMAC %.1f cycles/s, %.0f B/cycle | public unciphered %.1f cycles/s, %.0f B/cycle%n",
                        r + 1, rate[r], bytes[r], peerRate[r], peerBytes[r]);
            }
        }
        print("umi.read_cycle.rate", Stats.median(rate), "cycles/s", "umi.read_cycle.rate.public_unciphered",
                Stats.median(peerRate));
        print("umi.read_cycle.bytes", Stats.median(bytes), "B", "umi.read_cycle.bytes.public_unciphered",
                Stats.median(peerBytes));
    }

    static void print(String name, double value, String unit, String peer, double peerValue) {
        System.out.printf("figure=%s value=%.1f unit=%s peer=%s peer_value=%.1f ratio=%.2f%n", name, value, unit, peer,
                peerValue, value / peerValue);
    }

    static double[] run(int port, UmiClient.LinkSettings s, InvocationCounter counter, Eui64 meter, boolean secured)
            throws Exception {
        AtomicLong bytes = new AtomicLong();
        long t0 = System.nanoTime();
        long end = t0 + RUN_MS * 1_000_000;
        int cycles = 0;
        while (System.nanoTime() < end) {
            cycle(port, s, counter, meter, secured, bytes);
            cycles++;
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new double[] {cycles / seconds, (double) bytes.get() / cycles};
    }

    static void cycle(int port, UmiClient.LinkSettings s, InvocationCounter counter, Eui64 meter, boolean secured,
            AtomicLong bytes) throws Exception {
        Transport t = new Counting(new TcpTransport("127.0.0.1", port, Duration.ofSeconds(5)), bytes);
        try (UmiClient c = secured ? new UmiClient(t, s, counter, meter) : UmiClient.publicUnciphered(t, s, counter, meter)) {
            c.associate();
            for (ObisCode o : REGISTERS) {
                c.readRegister(o);
            }
            Instant now = Instant.now();
            List<ProfileSample> day = c.readLoadProfile(now.minus(Duration.ofDays(1)), now);
            if (day.size() < 94) {
                throw new IllegalStateException("expected a day of profile, got " + day.size() + " samples");
            }
            c.readClock();
        }
    }
}
