package org.modhub.ota.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Version;
import org.osgi.framework.VersionRange;

/** Bad input: every malformed, unsigned, tampered, oversized or unresolvable package is refused before apply. */
class PackageReaderTest {
    static TestKit kit;

    @TempDir
    Path dir;

    @BeforeAll
    static void keys() throws Exception {
        kit = new TestKit();
    }

    /** The framework as the reader sees it: com.acme.a 1.0.0 runs; org.osgi.framework 1.10 is exported. */
    static PackageReader.Environment env() {
        return new PackageReader.Environment() {
            @Override
            public Map<String, Version> installedVersions() {
                return Map.of("com.acme.a", Version.parseVersion("1.0.0"));
            }

            @Override
            public boolean exported(String pkg, VersionRange range) {
                return pkg.equals("org.osgi.framework") && range.includes(Version.parseVersion("1.10.0"));
            }
        };
    }

    PackageReader reader() {
        return new PackageReader(kit.verifier(), kit.downgrades(), dir.resolve("store"), 4 << 20,
                bsn -> bsn.equals("org.modhub.ota-agent"), false);
    }

    PackageRefusedException refused(TestKit.Pkg p) throws Exception {
        Path f = p.write(dir.resolve("p.dp"));
        PackageRefusedException e = assertThrows(PackageRefusedException.class, () -> reader().read(f, env()));
        assertStoreHoldsNoBundle();
        return e;
    }

    void assertStoreHoldsNoBundle() throws Exception {
        Path store = dir.resolve("store");
        if (Files.isDirectory(store)) {
            try (var s = Files.list(store)) {
                // a refused package may have left verified jars in the staging store, never temporaries
                assertTrue(s.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")));
            }
        }
    }

    @Test
    void goodPackageIsVerified() throws Exception {
        Path f = kit.pkg("acme", "1.1.0").bundle("a.jar", TestKit.bundle("com.acme.a", "1.1.0"))
                .bundle("b.jar", TestKit.bundle("com.acme.b", "1.0.0", null, "org.osgi.framework;version=\"[1.8,2)\"", null, 0))
                .write(dir.resolve("p.dp"));
        PackageReader.Verified v = reader().read(f, env());
        assertEquals("acme", v.name());
        assertEquals(Version.parseVersion("1.1.0"), v.version());
        assertEquals(2, v.bundles().size());
        for (PackageReader.BundleFile b : v.bundles()) {
            assertTrue(Files.exists(dir.resolve("store").resolve(b.sha256() + ".jar")));
        }
    }

    @Test
    void unsignedIsRefused() throws Exception {
        TestKit.Pkg p = kit.pkg("acme", "1.1.0").bundle("a.jar", TestKit.bundle("com.acme.a", "1.1.0"));
        p.signed = false;
        assertEquals(OtaResult.INTEGRITY_FAILURE, refused(p).result());
    }

    @Test
    void badSignatureIsRefused() throws Exception {
        TestKit.Pkg p = kit.pkg("acme", "1.1.0").bundle("a.jar", TestKit.bundle("com.acme.a", "1.1.0"));
        p.tamperSignature = true;
        PackageRefusedException e = refused(p);
        assertEquals(OtaResult.INTEGRITY_FAILURE, e.result());
        assertTrue(e.getMessage().contains("BAD_SIGNATURE"), e.getMessage());
    }

    @Test
    void signerWithoutManufacturerRoleIsRefused() throws Exception {
        TestKit.Pkg p = kit.pkg("acme", "1.1.0").bundle("a.jar", TestKit.bundle("com.acme.a", "1.1.0"));
        p.signer = TestKit.SUPPLIER;
        assertTrue(refused(p).getMessage().contains("ROLE_NOT_PERMITTED"));
    }

    @Test
    void unlistedFileIsRefused() throws Exception {
        TestKit.Pkg p = kit.pkg("acme", "1.1.0").bundle("a.jar", TestKit.bundle("com.acme.a", "1.1.0"));
        p.unlisted.put("evil.jar", TestKit.bundle("com.evil", "1.0.0"));
        assertEquals(OtaResult.INTEGRITY_FAILURE, refused(p).result());
    }

    @Test
    void manifestNamingAnAbsentFileIsRefused() throws Exception {
        TestKit.Pkg p = kit.pkg("acme", "1.1.0").bundle("a.jar", TestKit.bundle("com.acme.a", "1.1.0"));
        byte[] zip = p.build();
        // rebuild with a.jar removed after signing: the manifest still names it
        TestKit.Pkg q = kit.pkg("acme", "1.1.0").bundle("a.jar", TestKit.bundle("com.acme.a", "1.1.0"));
        Path f = dir.resolve("p.dp");
        Files.write(f, zip);
        try (var fs = java.nio.file.FileSystems.newFileSystem(f)) {
            Files.delete(fs.getPath("a.jar"));
        }
        PackageRefusedException e = assertThrows(PackageRefusedException.class, () -> reader().read(f, env()));
        assertTrue(e.getMessage().contains("does not contain"), e.getMessage());
        assertTrue(q.files.containsKey("a.jar"));
    }

    @Test
    void tamperedBundleIsRefused() throws Exception {
        Path f = kit.pkg("acme", "1.1.0").bundle("a.jar", TestKit.bundle("com.acme.a", "1.1.0")).write(dir.resolve("p.dp"));
        try (var fs = java.nio.file.FileSystems.newFileSystem(f)) {
            Files.write(fs.getPath("a.jar"), TestKit.bundle("com.acme.a", "1.1.1"));
        }
        PackageRefusedException e = assertThrows(PackageRefusedException.class, () -> reader().read(f, env()));
        assertEquals(OtaResult.INTEGRITY_FAILURE, e.result());
        assertTrue(e.getMessage().contains("DIGEST_MISMATCH"), e.getMessage());
    }

    @Test
    void truncatedAndGarbagePackagesAreRefused() throws Exception {
        byte[] good = kit.pkg("acme", "1.1.0").bundle("a.jar", TestKit.bundle("com.acme.a", "1.1.0")).build();
        Path f = dir.resolve("p.dp");
        for (int len : new int[] { 0, 1, 22, good.length / 2, good.length - 1 }) {
            Files.write(f, Arrays.copyOf(good, len));
            PackageRefusedException e = assertThrows(PackageRefusedException.class, () -> reader().read(f, env()),
                    "truncated to " + len);
            assertTrue(e.result() == OtaResult.UNSUPPORTED_PACKAGE || e.result() == OtaResult.INTEGRITY_FAILURE,
                    e.result() + " " + e.getMessage());
        }
        byte[] garbage = new byte[5000];
        new java.util.Random(7).nextBytes(garbage);
        Files.write(f, garbage);
        assertEquals(OtaResult.UNSUPPORTED_PACKAGE,
                assertThrows(PackageRefusedException.class, () -> reader().read(f, env())).result());
    }

    @Test
    void oversizedIsRefused() throws Exception {
        Path f = kit.pkg("acme", "1.1.0").bundle("a.jar", TestKit.bundle("com.acme.a", "1.1.0", null, null, null, 5 << 20))
                .write(dir.resolve("p.dp"));
        assertThrows(PackageReader.PackageTooLargeException.class, () -> reader().read(f, env()));
        assertStoreHoldsNoBundle();
    }

    @Test
    void downgradeNeedsRecoverySignature() throws Exception {
        TestKit.Pkg p = kit.pkg("acme", "0.9.0").bundle("a.jar", TestKit.bundle("com.acme.a", "0.9.0"));
        PackageRefusedException e = refused(p);
        assertTrue(e.getMessage().contains("downgrade"), e.getMessage());
        p.downgradeSigner = TestKit.SUPPLIER;
        assertTrue(refused(p).getMessage().contains("ROLE_NOT_PERMITTED"));
        p.downgradeSigner = TestKit.RECOVERY;
        Path f = p.write(dir.resolve("p.dp"));
        assertTrue(reader().read(f, env()).downgrade());
    }

    @Test
    void protectedExportingAndUnresolvableBundlesAreRefused() throws Exception {
        assertTrue(refused(kit.pkg("x", "1.0.0").bundle("o.jar", TestKit.bundle("org.modhub.ota-agent", "9.0.0")))
                .getMessage().contains("cannot be updated"));
        assertTrue(refused(kit.pkg("x", "1.0.0").bundle("e.jar",
                TestKit.bundle("com.acme.api", "1.0.0", null, null, "com.acme.api;version=1.0", 0)))
                .getMessage().contains("exports"));
        assertTrue(refused(kit.pkg("x", "1.0.0").bundle("u.jar",
                TestKit.bundle("com.acme.u", "1.0.0", null, "com.nowhere;version=\"[1,2)\"", null, 0)))
                .getMessage().contains("cannot resolve"));
        assertTrue(refused(kit.pkg("x", "1.0.0").bundle("u.jar",
                TestKit.bundle("com.acme.u", "1.0.0", null, "org.osgi.framework;version=\"[2,3)\"", null, 0)))
                .getMessage().contains("cannot resolve"));
        assertTrue(refused(kit.pkg("x", "1.0.0").bundle("n.txt", new byte[] { 1, 2 })).getMessage().contains("unexpected"));
    }
}
