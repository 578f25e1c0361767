package org.modhub.ota.internal;

import java.nio.file.Path;
import java.time.Instant;
import org.modhub.api.common.Eui64;
import org.modhub.api.health.HealthState;
import org.modhub.api.health.HubHealth;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.ReadingQuery;
import org.modhub.api.metering.Unit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.osgi.framework.Bundle;
import org.osgi.framework.Version;
import org.osgi.framework.VersionRange;

/**
 * The hub in the crash test: boots a real Felix framework on a kept cache (boot guard first, then the
 * image), then either checks (and finishes a trial) or installs the round's package. Prints markers
 * on stdout: BOOTED, TRIAL, PHASE x, FINAL, DONE.
 */
public final class CrashChild {
    static final Eui64 METER = Eui64.parse("00-0D-6F-00-00-00-0C-01");
    static final Instant BASE = Instant.parse("2026-01-01T00:00:00Z");

    /** HEALTH UP once hub-core's health is UP (60 s at most), else HEALTH state and what is not UP. */
    static void health(Fw fw) throws Exception {
        HubHealth h = Platform.service(fw.ctx(), HubHealth.class, Duration.ofSeconds(60));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (h.overall() != HealthState.UP && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        List<String> down = new ArrayList<>();
        h.components().stream().filter(c -> c.state() != HealthState.UP)
                .forEach(c -> down.add(c.name() + "=" + c.state() + ":" + c.reason()));
        System.out.println("HEALTH " + h.overall() + (down.isEmpty() ? "" : " " + down));
    }

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        String mode = args[1];
        List<String> log = new ArrayList<>();
        try (Fw fw = new Fw(data.resolve("framework"), Platform.properties(data))) {
            fw.fw.start();
            Transactions.boot(fw.ctx(), data.resolve("ota"), log::add, bundles -> bundles.forEach(b -> {
            try {
                b.start();
            } catch (Exception e) {
                log.add("start failed: " + e.getMessage());
            }
        }));
            fw.image(TransactionsTest.image());
            Platform.install(fw.ctx());
            System.out.println("BOOTED " + fw.identity());
            Transactions tx = new Transactions(fw.ctx(), data.resolve("ota"), log::add);
            Transactions.HealthCheck health = TransactionsTest.allActive();
            if (mode.equals("check")) {
                Optional<Transactions.Result> r = tx.resumeTrial(health, Duration.ofSeconds(10), p -> {
                    System.out.println("PHASE " + p);
                    System.out.flush();
                });
                System.out.println("FINAL " + fw.identity() + " " + tx.journal().phase() + " "
                        + r.map(x -> x.result().name()).orElse("-"));
                health(fw);
                MeteringStore ms = Platform.service(fw.ctx(), MeteringStore.class, Duration.ofSeconds(60));
                List<String> raws = new ArrayList<>();
                ms.readings(new ReadingQuery(METER, Measurands.ACTIVE_ENERGY_IMPORT, BASE, BASE.plusSeconds(1800L * 10_000),
                        1000)).forEach(x -> raws.add(Long.toString(x.raw())));
                System.out.println("METERING " + String.join(",", raws));
            } else {
                int round = Integer.parseInt(args[2]);
                String v = "1." + (round + 1) + ".0";
                TestKit kit = new TestKit();
                TestKit.Pkg p = kit.pkg("acme", v)
                        .bundle("a.jar", TestKit.bundle("com.acme.a", v, null, null, null, 300_000))
                        .bundle("b.jar", TestKit.bundle("com.acme.b", v, null, null, null, 100_000))
                        .bundle("x.jar", TestKit.bundle("com.acme.extra", v, null, null, null, 200_000));
                Path file = p.write(data.resolve("downloads/acme-" + v + ".dp"));
                TreeMap<String, String> trial = new TreeMap<>();
                Reconciler.installed(fw.ctx()).forEach((k, b) -> trial.put(k, b.getVersion().toString()));
                trial.put("com.acme.a", v);
                trial.put("com.acme.b", v);
                trial.put("com.acme.extra", v);
                List<String> ids = new ArrayList<>();
                trial.forEach((k, ver) -> ids.add(k + ":" + ver));
                System.out.println("TRIAL " + String.join(",", ids));
                // metering data written before the update: must survive whatever happens to it
                MeteringStore ms = Platform.service(fw.ctx(), MeteringStore.class, Duration.ofSeconds(60));
                ms.record(List.of(new Reading(METER, Measurands.ACTIVE_ENERGY_IMPORT, BASE.plusSeconds(1800L * round), round,
                        0, Unit.WATT_HOUR)));
                System.out.println("RECORDED " + round);
                System.out.println("PHASE verify");
                System.out.flush();
                PackageReader.Verified verified = new PackageReader(kit.verifier(), kit.downgrades(),
                        data.resolve("ota/store"), 8 << 20, b -> false, false).read(file, new PackageReader.Environment() {
                            @Override
                            public Map<String, Version> installedVersions() {
                                Map<String, Version> m = new LinkedHashMap<>();
                                Reconciler.installed(fw.ctx()).forEach((k, b) -> m.put(k, b.getVersion()));
                                return m;
                            }

                            @Override
                            public boolean exported(String pkg, VersionRange range) {
                                return false;
                            }
                        });
                Transactions.Result r = tx.install(verified, Map.of("job.id", Integer.toString(round)), health,
                        Duration.ofSeconds(10), 2, ph -> {
                            System.out.println("PHASE " + ph);
                            System.out.flush();
                        });
                System.out.println("FINAL " + fw.identity() + " " + tx.journal().phase() + " " + r.result());
            }
            for (Bundle b : fw.ctx().getBundles()) {
                if (b.getState() != Bundle.ACTIVE) {
                    System.out.println("INACTIVE " + b.getSymbolicName());
                }
            }
            System.out.println("DONE");
            System.out.flush();
        }
    }
}
