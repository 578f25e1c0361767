package org.modhub.bench;

import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.modhub.mbus.link.internal.RecordMapper;
import org.modhub.mbus.link.internal.Telegrams;
import org.openmuc.jmbus.DecodingException;
import org.openmuc.jmbus.SecondaryAddress;
import org.openmuc.jmbus.VariableDataStructure;

/**
 * {@code bench/run mbus}: wireless M-Bus telegrams decoded per second on one thread by the hub's
 * full path (frame checks, jMBus application layer with the device key, mapping to readings) beside
 * jMBus's application-layer decode alone of the same telegram (the peer: what the hub adds costs
 * the difference). Telegrams: the wmbusmeters S1 QWater5.5 vector (plain) and jMBus's mode-5 vector;
 * for mode 7 (OMS Vol. 2 Annex N; jMBus cannot decode it) the peer is the hub's own mode-5 path.
 * Median of {@code bench.runs} runs of about half a second each, after a warm-up.
 */
public final class MbusBench {
    private static final int RUNS = Integer.getInteger("bench.runs", 5);
    static final String S1 = "2D4465327663341317077AAA0000000C13044001004C1340620000426C9F2C02BB560000326CFFFF046D180DA924";
    /** L (set below), C, the link address of jMBus's vector, then its application layer. */
    static final String MODE5 = "0044" + "2423759468372507"
            + "7ACB5030055E861434F34A14AE2B9973AEE9811E32578336455E9AC7E7EF960B2253CA7F2BB6632C35E3DD95D66FE96C699A298A53";
    static final String MODE7 = "434493157856341233038C2075900F002C25B30A000021924D4F2FB66E017A75002007109058475F4BC91DF878B80A1B0F98B629024AAC727942BFC549233C0140829B93";
    static volatile Object sink;

    interface Task {
        Object run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        byte[] s1 = hex(S1);
        byte[] m5 = hex(MODE5);
        m5[0] = (byte) (m5.length - 1);
        byte[] m7 = hex(MODE7);
        byte[] key5 = "HalloWorldTestPW".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] key7 = hex("000102030405060708090A0B0C0D0E0F");
        Function<SecondaryAddress, Optional<byte[]>> none = a -> Optional.empty();
        Function<SecondaryAddress, Optional<byte[]>> k5 = a -> Optional.of(key5);
        Function<SecondaryAddress, Optional<byte[]>> k7 = a -> Optional.of(key7);
        Instant at = Instant.now();

        Task hubS1 = () -> RecordMapper.map(Telegrams.decodeWireless(s1, false, none), at);
        Task jmbusS1 = () -> jmbus(s1, null);
        Task hub5 = () -> RecordMapper.map(Telegrams.decodeWireless(m5, false, k5), at);
        Task jmbus5 = () -> jmbus(m5, key5);
        Task hub7 = () -> RecordMapper.map(Telegrams.decodeWireless(m7, false, k7), at);
        for (Task t : new Task[] {hubS1, jmbusS1, hub5, jmbus5, hub7}) {
            if (t.run() == null) {
                throw new AssertionError("a decode returned nothing");
            }
        }
        double[] p = pair(hubS1, jmbusS1);
        figure("mbus.decodes_per_s.s1_plain", p[0], "jmbus.decodes_per_s.s1_plain", p[1]);
        p = pair(hub5, jmbus5);
        figure("mbus.decodes_per_s.mode5", p[0], "jmbus.decodes_per_s.mode5", p[1]);
        p = pair(hub7, hub5);
        figure("mbus.decodes_per_s.mode7", p[0], "mbus.decodes_per_s.mode5", p[1]);
    }

    static Object jmbus(byte[] t, byte[] key) throws DecodingException {
        SecondaryAddress link = SecondaryAddress.newFromWMBusHeader(t, 2);
        Map<SecondaryAddress, byte[]> keys = new HashMap<>();
        if (key != null) {
            keys.put(link, key);
        }
        VariableDataStructure vds = new VariableDataStructure(t, 10, t.length - 10, link, keys);
        vds.decode();
        return vds.getDataRecords();
    }

    /** Medians of both tasks, measured in alternation (a shared machine's noise hits both alike). */
    static double[] pair(Task a, Task b) throws Exception {
        warm(a);
        warm(b);
        double[] ra = new double[RUNS];
        double[] rb = new double[RUNS];
        for (int i = 0; i < RUNS; i++) {
            ra[i] = once(a);
            rb[i] = once(b);
        }
        Arrays.sort(ra);
        Arrays.sort(rb);
        return new double[] {ra[RUNS / 2], rb[RUNS / 2]};
    }

    static void warm(Task t) throws Exception {
        long warm = System.nanoTime() + 500_000_000L;
        while (System.nanoTime() < warm) {
            sink = t.run();
        }
    }

    static double once(Task t) throws Exception {
        long n = 0;
        long start = System.nanoTime();
        long end = start + 500_000_000L;
        long now;
        do {
            for (int j = 0; j < 100; j++) {
                sink = t.run();
            }
            n += 100;
            now = System.nanoTime();
        } while (now < end);
        return n / ((now - start) / 1e9);
    }

    static void figure(String name, double value, String peer, double peerValue) {
        System.out.printf(Locale.ROOT, "figure=%s value=%.0f unit=decodes/s peer=%s peer_value=%.0f ratio=%.2f%n", name, value, peer,
                peerValue, value / peerValue);
    }

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.toLowerCase(Locale.ROOT));
    }
}
