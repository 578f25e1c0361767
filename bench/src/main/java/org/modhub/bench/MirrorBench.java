package org.modhub.bench;

import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.modhub.api.common.Eui64;
import org.modhub.api.gas.GasPush;
import org.modhub.api.gas.MirrorRead;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceType;
import org.modhub.core.internal.config.ConfigGuard;
import org.modhub.core.internal.db.Durability;
import org.modhub.core.internal.db.HubStore;
import org.modhub.core.internal.db.SqliteDatabase;
import org.modhub.core.internal.han.SqliteDeviceLog;
import org.modhub.core.internal.metering.SqliteMeteringStore;
import org.modhub.core.internal.state.SqliteStateStore;
import org.modhub.gas.internal.GasProxyService;
import org.osgi.framework.BundleContext;
import org.osgi.service.log.Logger;

/**
 * {@code bench/run mirror}: the gas mirror over the real hub-core stores. Storage per gas meter for
 * 13 months (397 days × 48 pushes fed through {@code GasProxy.accept}), beside the 200 KB limit;
 * mirror read latency p50/p99 beside a plain in-memory map read of the same values.
 */
public final class MirrorBench {
    private static final int DAYS = Integer.getInteger("bench.days", 397);
    private static final int METERS = Integer.getInteger("bench.meters", 2);
    private static final int READS = Integer.getInteger("bench.reads", 20_000);

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", "target")).toAbsolutePath(), "mirror");
        // fsync per commit does not change what is stored; NORMAL keeps the 13-month feed short
        SqliteDatabase hubDb = SqliteDatabase.open(dir.resolve("hub.db"), Durability.NORMAL, false);
        HubStore store = new HubStore() {
            @Override
            public SqliteDatabase hub() {
                return hubDb;
            }
        };
        Logger log = (Logger) Proxy.newProxyInstance(MirrorBench.class.getClassLoader(), new Class<?>[] {Logger.class},
                (p, m, a) -> m.getReturnType() == boolean.class ? Boolean.FALSE : null);
        BundleContext context = (BundleContext) Proxy.newProxyInstance(MirrorBench.class.getClassLoader(),
                new Class<?>[] {BundleContext.class}, (p, m, a) -> null);
        ConfigGuard guard = new ConfigGuard(context, log);
        SqliteMeteringStore metering = new SqliteMeteringStore(store, guard, config(SqliteMeteringStore.Config.class), Map.of());
        SqliteStateStore state = new SqliteStateStore(store);
        SqliteDeviceLog devices = new SqliteDeviceLog(store, guard, config(SqliteDeviceLog.Config.class), Map.of());
        GasProxyService mirror = new GasProxyService(metering, state, devices, log, config(GasProxyService.Config.class));

        checkpoint(hubDb);
        long empty = Files.size(dir.resolve("hub.db"));
        Random random = new Random(42);
        Instant start = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(Duration.ofDays(DAYS));
        Eui64[] meters = new Eui64[METERS];
        for (int m = 0; m < METERS; m++) {
            meters[m] = Eui64.of(0x000D6F0000470000L + m);
            devices.add(DeviceLogEntry.withKeyReference(meters[m], DeviceType.GAS_METER, "gsme-" + m));
            long litres = 1_000_000;
            for (int hh = 0; hh < DAYS * 48; hh++) {
                litres += random.nextInt(400); // up to 0.4 m³ per half hour
                Instant at = start.plus(Duration.ofMinutes(30L * hh)).plusSeconds(7);
                mirror.accept(new GasPush(meters[m], at, litres, -3, (litres % 100_000) * 11, litres % 10_000));
            }
        }
        checkpoint(hubDb);
        long full = Files.size(dir.resolve("hub.db"));
        double perMeterKb = (full - empty) / 1024.0 / METERS;
        System.err.printf("store %d bytes empty, %d bytes with %d meters × %d days%n", empty, full, METERS, DAYS);

        Map<Eui64, MirrorRead> memory = new HashMap<>();
        for (Eui64 m : meters) {
            memory.put(m, mirror.read(m).orElseThrow());
        }
        double[] p50 = new double[5];
        double[] p99 = new double[5];
        double[] mp50 = new double[5];
        double[] mp99 = new double[5];
        for (int run = 0; run < 5; run++) {
            long[] t = new long[READS];
            long[] tm = new long[READS];
            for (int i = 0; i < READS; i++) {
                Eui64 m = meters[i % METERS];
                long a = System.nanoTime();
                MirrorRead r = mirror.read(m).orElseThrow();
                long b = System.nanoTime();
                MirrorRead q = memory.get(m);
                long c = System.nanoTime();
                if (r.volumeM3().compareTo(q.volumeM3()) != 0) {
                    throw new IllegalStateException("mirror and map disagree");
                }
                t[i] = b - a;
                tm[i] = c - b;
            }
            Arrays.sort(t);
            Arrays.sort(tm);
            p50[run] = t[READS / 2] / 1e3;
            p99[run] = t[READS * 99 / 100] / 1e3;
            mp50[run] = tm[READS / 2] / 1e3;
            mp99[run] = tm[READS * 99 / 100] / 1e3;
        }
        figure("mirror.read.p50", Stats.median(p50), "us", "hashmap.read.p50", Stats.median(mp50));
        figure("mirror.read.p99", Stats.median(p99), "us", "hashmap.read.p99", Stats.median(mp99));
        figure("mirror.read.p99", Stats.median(p99), "us", "target.limit", 5_000.0);
        figure("mirror.storage_per_meter_13_months", perMeterKb, "KB", "target.limit", 200.0);
        hubDb.close();
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static void figure(String name, double value, String unit, String peer, double peerValue) {
        System.out.printf("figure=%s value=%.3f unit=%s peer=%s peer_value=%.3f ratio=%.3f%n", name, value, unit, peer,
                peerValue, value / peerValue);
    }

    private static void checkpoint(SqliteDatabase db) {
        db.withConnection(c -> {
            db.releasePrepared(); // VACUUM refuses to run beside statements in progress
            try (var s = c.createStatement()) {
                s.execute("VACUUM");
            }
            try (var s = c.createStatement(); var rs = s.executeQuery("PRAGMA wal_checkpoint(TRUNCATE)")) {
                rs.next();
            }
            return null;
        });
    }

    @SuppressWarnings("unchecked")
    private static <A extends Annotation> A config(Class<A> type) {
        return (A) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                (p, m, a) -> m.getDefaultValue());
    }
}
