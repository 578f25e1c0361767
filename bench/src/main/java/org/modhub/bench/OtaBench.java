package org.modhub.bench;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.modhub.api.common.Eui64;
import org.modhub.api.security.PackageManifest;
import org.modhub.api.security.PackageVerifier;
import org.modhub.api.security.SecurityCheckException;
import org.modhub.ota.internal.OtaResult;
import org.modhub.ota.internal.PackageReader;
import org.modhub.ota.internal.Transactions;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.Version;
import org.osgi.framework.VersionRange;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * {@code bench/run ota}: the OTA agent's transaction engine on a real Felix framework. Apply + commit
 * of a signed package with one 1 MB bundle (stage, fsync'd journal and sets, Bundle.update, refresh
 * of that bundle, health check — every touched bundle active, checked twice 200 ms apart — commit)
 * and the rollback of a package whose bundle cannot start, medians of several runs, beside a plain
 * {@code Bundle.update} + refresh + start of the same 1 MB bundle; then heap after GC over 200 update
 * cycles (each revision loads its own class with 256 KB of static data: a leaked class loader shows).
 */
public final class OtaBench {
    static final Eui64 MANUFACTURER = Eui64.parse("00-11-22-33-44-55-66-77");
    static final int MB = 1 << 20;

    public static void main(String[] args) throws Exception {
        int runs = Integer.getInteger("bench.runs", 5);
        int cycles = Integer.getInteger("bench.cycles", 200);
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", "target")).toAbsolutePath(), "ota");
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair keys = g.generateKeyPair();
        Map<String, String> p = new HashMap<>();
        p.put(Constants.FRAMEWORK_STORAGE, dir.resolve("framework").toString());
        p.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        p.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, "");
        Framework fw = ServiceLoader.load(FrameworkFactory.class).iterator().next().newFramework(p);
        fw.start();
        BundleContext ctx = fw.getBundleContext();
        Transactions tx = new Transactions(ctx, dir.resolve("ota"), line -> { });
        PackageReader reader = new PackageReader(verifier(keys), (s, sig) -> {
            throw new SecurityCheckException(SecurityCheckException.Reason.ROLE_NOT_PERMITTED, "no downgrades here");
        }, tx.store(), 64L * MB, b -> false, false);
        Transactions.HealthCheck allActive = touched -> {
            for (Bundle b : touched) {
                if (b.getState() != Bundle.ACTIVE) {
                    return Optional.of(b.getSymbolicName() + " not active");
                }
            }
            return Optional.empty();
        };
        // the image: the bundle the updates replace, and the peer's own copy
        ctx.installBundle("image:bench.ota.big", new ByteArrayInputStream(bundle("bench.ota.big", "1.0.0", MB, true))).start();
        Bundle peer = ctx.installBundle("image:bench.ota.peer", new ByteArrayInputStream(bundle("bench.ota.peer", "1.0.0", MB, true)));
        peer.start();

        List<Double> apply = new ArrayList<>();
        List<Double> verify = new ArrayList<>();
        List<Double> rollback = new ArrayList<>();
        List<Double> plain = new ArrayList<>();
        int minor = 1;
        for (int r = 0; r < runs + 1; r++) { // the first run warms up
            String v = "1." + (minor++) + ".0";
            Path pkg = pkg(dir, keys, "big", v, Map.of("big.jar", bundle("bench.ota.big", v, MB, true)));
            long t0 = System.nanoTime();
            PackageReader.Verified verified = reader.read(pkg, env(ctx));
            long t1 = System.nanoTime();
            Transactions.Result res = tx.install(verified, Map.of("job.id", "" + r), allActive, Duration.ofSeconds(30), 2,
                    phase -> { });
            long t2 = System.nanoTime();
            if (res.result() != OtaResult.COMMITTED) {
                throw new IllegalStateException("not committed: " + res);
            }
            // rollback: a package whose bundle cannot start
            String bad = "1." + (minor++) + ".0";
            Path badPkg = pkg(dir, keys, "big", bad, Map.of("big.jar", bundle("bench.ota.big", bad, MB, false)));
            PackageReader.Verified badVerified = reader.read(badPkg, env(ctx));
            long[] rb = new long[2];
            Transactions.Result rres = tx.install(badVerified, Map.of("job.id", "rb" + r), allActive,
                    Duration.ofSeconds(30), 2, phase -> {
                        if (phase.equals("rollback")) {
                            rb[0] = System.nanoTime();
                        } else if (phase.equals("rolled-back")) {
                            rb[1] = System.nanoTime();
                        }
                    });
            if (rres.result() != OtaResult.ROLLED_BACK) {
                throw new IllegalStateException("not rolled back: " + rres);
            }
            // peer: plain update + refresh + start of the same size of bundle
            byte[] peerJar = bundle("bench.ota.peer", v, MB, true);
            long p0 = System.nanoTime();
            peer.update(new ByteArrayInputStream(peerJar));
            refresh(ctx, peer);
            peer.start();
            long p1 = System.nanoTime();
            if (r > 0) {
                verify.add((t1 - t0) / 1e6);
                apply.add((t2 - t1) / 1e6);
                rollback.add((rb[1] - rb[0]) / 1e6);
                plain.add((p1 - p0) / 1e6);
            }
            System.err.printf("run %d: verify %.1f ms, apply+commit %.1f ms, rollback %.1f ms, plain update %.1f ms%n", r,
                    (t1 - t0) / 1e6, (t2 - t1) / 1e6, (rb[1] - rb[0]) / 1e6, (p1 - p0) / 1e6);
        }
        double plainMedian = median(plain);
        figure("ota.apply_commit_1mb", median(apply), "ms", "plain_update_refresh_start", plainMedian);
        figure("ota.rollback_1mb", median(rollback), "ms", "plain_update_refresh_start", plainMedian);
        figure("ota.verify_1mb", median(verify), "ms", "plain_update_refresh_start", plainMedian);

        // heap over update cycles (smaller bundles; each carries the ballast class)
        ctx.installBundle("image:bench.ota.cycle", new ByteArrayInputStream(bundle("bench.ota.cycle", "1.0.0", 0, true))).start();
        long heapEarly = 0;
        long heapLate = 0;
        for (int c = 1; c <= cycles; c++) {
            String v = "2." + c + ".0";
            Path pkg = pkg(dir, keys, "cycle", v, Map.of("c.jar", bundle("bench.ota.cycle", v, 16 * 1024, true)));
            Transactions.Result res = tx.install(reader.read(pkg, env(ctx)), Map.of("job.id", "c" + c), allActive,
                    Duration.ofSeconds(30), 2, phase -> { });
            Files.delete(pkg);
            if (res.result() != OtaResult.COMMITTED) {
                throw new IllegalStateException("cycle " + c + ": " + res);
            }
            if (c == 20) {
                heapEarly = heapAfterGc();
            }
            if (c % 50 == 0) {
                System.err.printf("cycle %d: heap after GC %.1f MB%n", c, heapAfterGc() / 1e6);
            }
        }
        heapLate = heapAfterGc();
        figure("ota.heap_after_gc_" + cycles + "_cycles", heapLate / 1e6, "MB", "heap_after_gc_20_cycles", heapEarly / 1e6);
        fw.stop();
        fw.waitForStop(30_000);
    }

    static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static void figure(String name, double value, String unit, String peer, double peerValue) {
        System.out.printf(java.util.Locale.ROOT, "figure=%s value=%.1f unit=%s peer=%s peer_value=%.1f ratio=%.2f%n", name,
                value, unit, peer, peerValue, value / peerValue);
    }

    static double median(List<Double> xs) {
        return Stats.median(xs);
    }

    static void refresh(BundleContext ctx, Bundle b) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        ctx.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(List.of(b), e -> {
            if (e.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
                done.countDown();
            }
        });
        done.await(60, TimeUnit.SECONDS);
    }

    static PackageReader.Environment env(BundleContext ctx) {
        return new PackageReader.Environment() {
            @Override
            public Map<String, Version> installedVersions() {
                Map<String, Version> m = new LinkedHashMap<>();
                for (Bundle b : ctx.getBundles()) {
                    if (b.getBundleId() != 0) {
                        m.put(b.getSymbolicName(), b.getVersion());
                    }
                }
                return m;
            }

            @Override
            public boolean exported(String pkg, VersionRange range) {
                return pkg.equals("org.osgi.framework");
            }
        };
    }

    /** A bundle with the ballast activator (or, if {@code startable} is false, an activator that does not exist). */
    static byte[] bundle(String bsn, String version, int padding, boolean startable) throws IOException {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", bsn);
        a.putValue("Bundle-Version", version);
        a.putValue("Import-Package", "org.osgi.framework");
        a.putValue("Bundle-Activator", startable ? OtaBenchActivator.class.getName() : "org.modhub.bench.Missing");
        ByteArrayOutputStream out = new ByteArrayOutputStream(padding + 4096);
        try (JarOutputStream jar = new JarOutputStream(out, mf)) {
            String cls = OtaBenchActivator.class.getName().replace('.', '/') + ".class";
            jar.putNextEntry(new JarEntry(cls));
            try (InputStream in = OtaBench.class.getClassLoader().getResourceAsStream(cls)) {
                in.transferTo(jar);
            }
            jar.closeEntry();
            if (padding > 0) {
                byte[] pad = new byte[padding];
                new Random(version.hashCode()).nextBytes(pad);
                jar.putNextEntry(new JarEntry("data/padding.bin"));
                jar.write(pad);
                jar.closeEntry();
            }
        }
        return out.toByteArray();
    }

    static Path pkg(Path dir, KeyPair keys, String name, String version, Map<String, byte[]> jars) throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("package.properties", ("name=" + name + "\nversion=" + version + "\n").getBytes());
        files.putAll(jars);
        Map<String, byte[]> digests = new LinkedHashMap<>();
        for (var e : files.entrySet()) {
            digests.put(e.getKey(), MessageDigest.getInstance("SHA-256").digest(e.getValue()));
        }
        byte[] manifest = new PackageManifest(MANUFACTURER, digests).encode();
        Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
        s.initSign(keys.getPrivate());
        s.update(manifest);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("META-INF/modhub/package.manifest"));
            zip.write(manifest);
            zip.putNextEntry(new ZipEntry("META-INF/modhub/package.sig"));
            zip.write(s.sign());
            for (var e : files.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
            }
        }
        Path f = dir.resolve(name + "-" + version + ".dp");
        Files.write(f, out.toByteArray());
        return f;
    }

    /** Manufacturer signature (JDK ECDSA P-256) and per-file SHA-256, as security-pki checks them. */
    static PackageVerifier verifier(KeyPair keys) {
        return new PackageVerifier() {
            @Override
            public PackageManifest verifyManifest(byte[] manifest, byte[] signature) throws SecurityCheckException {
                try {
                    Signature v = Signature.getInstance("SHA256withECDSAinP1363Format");
                    v.initVerify(keys.getPublic());
                    v.update(manifest);
                    if (!v.verify(signature)) {
                        throw new SecurityCheckException(SecurityCheckException.Reason.BAD_SIGNATURE, "bad signature");
                    }
                    return PackageManifest.parse(manifest);
                } catch (java.security.GeneralSecurityException e) {
                    throw new SecurityCheckException(SecurityCheckException.Reason.BAD_SIGNATURE, e.getMessage());
                }
            }

            @Override
            public void verifyFile(PackageManifest manifest, String name, InputStream content)
                    throws SecurityCheckException, IOException {
                try {
                    MessageDigest d = MessageDigest.getInstance("SHA-256");
                    byte[] b = new byte[65536];
                    for (int n; (n = content.read(b)) > 0;) {
                        d.update(b, 0, n);
                    }
                    if (!MessageDigest.isEqual(d.digest(), manifest.digest(name))) {
                        throw new SecurityCheckException(SecurityCheckException.Reason.DIGEST_MISMATCH, name);
                    }
                } catch (java.security.NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
    }
}
