package org.modhub.ota.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
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
import org.modhub.api.security.SecurityCheckException.Reason;

/**
 * Test material: bundles made on the fly, packages signed with real ECDSA P-256 keys, and a verifier
 * that checks them for real (the same checks as security-pki's, with keys in a map instead of
 * certificates: unknown signer, role, signature, digest).
 */
final class TestKit {
    static final Eui64 MANUFACTURER = Eui64.parse("00-11-22-33-44-55-66-77");
    static final Eui64 SUPPLIER = Eui64.parse("00-11-22-33-44-55-66-88");
    static final Eui64 RECOVERY = Eui64.parse("00-11-22-33-44-55-66-99");

    final Map<Eui64, KeyPair> keys = new HashMap<>();
    final Map<Eui64, String> roles = new HashMap<>();

    TestKit() throws Exception {
        for (Eui64 id : new Eui64[] { MANUFACTURER, SUPPLIER, RECOVERY }) {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            keys.put(id, g.generateKeyPair());
        }
        roles.put(MANUFACTURER, "MANUFACTURER");
        roles.put(SUPPLIER, "SUPPLIER");
        roles.put(RECOVERY, "RECOVERY");
    }

    byte[] sign(Eui64 who, byte[] data) throws Exception {
        Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
        s.initSign(keys.get(who).getPrivate());
        s.update(data);
        return s.sign();
    }

    static boolean verify(PublicKey key, byte[] data, byte[] sig) {
        try {
            Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
            s.initVerify(key);
            s.update(data);
            return s.verify(sig);
        } catch (Exception e) {
            return false;
        }
    }

    PackageVerifier verifier() {
        return new PackageVerifier() {
            @Override
            public PackageManifest verifyManifest(byte[] manifest, byte[] signature) throws SecurityCheckException {
                PackageManifest m;
                try {
                    m = PackageManifest.parse(manifest);
                } catch (IllegalArgumentException e) {
                    throw new SecurityCheckException(Reason.MALFORMED, e.getMessage());
                }
                KeyPair kp = keys.get(m.signer());
                if (kp == null) {
                    throw new SecurityCheckException(Reason.UNKNOWN_ORIGINATOR, "unknown " + m.signer());
                }
                if (!"MANUFACTURER".equals(roles.get(m.signer()))) {
                    throw new SecurityCheckException(Reason.ROLE_NOT_PERMITTED, "not a manufacturer");
                }
                if (signature == null || signature.length != 64 || !verify(kp.getPublic(), manifest, signature)) {
                    throw new SecurityCheckException(Reason.BAD_SIGNATURE, "bad signature");
                }
                return m;
            }

            @Override
            public void verifyFile(PackageManifest manifest, String name, InputStream content)
                    throws SecurityCheckException, IOException {
                byte[] want = manifest.digest(name);
                if (want == null) {
                    throw new SecurityCheckException(Reason.DIGEST_MISMATCH, name + " not listed");
                }
                if (!MessageDigest.isEqual(want, sha256(content.readAllBytes()))) {
                    throw new SecurityCheckException(Reason.DIGEST_MISMATCH, "SHA-256 of " + name + " differs");
                }
            }
        };
    }

    /** A Recovery authority backed by the kit's keys. */
    PackageReader.DowngradeAuthority downgrades() {
        return (signed, idAndSig) -> {
            Eui64 id = Eui64.parse(java.util.HexFormat.of().formatHex(java.util.Arrays.copyOf(idAndSig, 8)));
            if (!"RECOVERY".equals(roles.get(id))) {
                throw new SecurityCheckException(Reason.ROLE_NOT_PERMITTED, id + " is not Recovery");
            }
            if (!verify(keys.get(id).getPublic(), signed, java.util.Arrays.copyOfRange(idAndSig, 8, idAndSig.length))) {
                throw new SecurityCheckException(Reason.BAD_SIGNATURE, "bad downgrade signature");
            }
        };
    }

    static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A bundle jar: symbolic name, version, optional activator, imports/exports, padding bytes. */
    static byte[] bundle(String bsn, String version, String activator, String imports, String exports, int padding)
            throws IOException {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", bsn);
        a.putValue("Bundle-Version", version);
        if (activator != null) {
            a.putValue("Bundle-Activator", activator);
        }
        if (imports != null) {
            a.putValue("Import-Package", imports);
        }
        if (exports != null) {
            a.putValue("Export-Package", exports);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(out, mf)) {
            jar.putNextEntry(new JarEntry("data/version.txt"));
            jar.write((bsn + " " + version).getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
            if (padding > 0) {
                byte[] pad = new byte[padding];
                new Random(bsn.hashCode() ^ version.hashCode()).nextBytes(pad);
                JarEntry e = new JarEntry("data/padding.bin");
                e.setMethod(ZipEntry.STORED);
                e.setSize(pad.length);
                java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                crc.update(pad);
                e.setCrc(crc.getValue());
                jar.putNextEntry(e);
                jar.write(pad);
                jar.closeEntry();
            }
        }
        return out.toByteArray();
    }

    static byte[] bundle(String bsn, String version) throws IOException {
        return bundle(bsn, version, null, null, null, 0);
    }

    /** Builds a package; {@code extra} files go into the zip without being listed. */
    final class Pkg {
        final Map<String, byte[]> files = new LinkedHashMap<>();
        final Map<String, byte[]> unlisted = new LinkedHashMap<>();
        Eui64 signer = MANUFACTURER;
        boolean signed = true;
        boolean tamperSignature;
        Eui64 downgradeSigner;

        Pkg(String name, String version) {
            files.put(PackageReader.PROPERTIES, ("name=" + name + "\nversion=" + version + "\n").getBytes(StandardCharsets.UTF_8));
        }

        Pkg bundle(String file, byte[] jar) {
            files.put(file, jar);
            return this;
        }

        byte[] build() throws Exception {
            Map<String, byte[]> digests = new LinkedHashMap<>();
            files.forEach((n, b) -> digests.put(n, sha256(b)));
            byte[] manifest = new PackageManifest(signer, digests).encode();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ZipOutputStream zip = new ZipOutputStream(out)) {
                put(zip, PackageReader.MANIFEST, manifest);
                if (signed) {
                    byte[] sig = sign(signer, manifest);
                    if (tamperSignature) {
                        sig[10] ^= 1;
                    }
                    put(zip, PackageReader.SIGNATURE, sig);
                }
                if (downgradeSigner != null) {
                    byte[] stmt = new byte[PackageReader.DOWNGRADE_PREFIX.length + manifest.length];
                    System.arraycopy(PackageReader.DOWNGRADE_PREFIX, 0, stmt, 0, PackageReader.DOWNGRADE_PREFIX.length);
                    System.arraycopy(manifest, 0, stmt, PackageReader.DOWNGRADE_PREFIX.length, manifest.length);
                    byte[] sig = sign(downgradeSigner, stmt);
                    byte[] all = new byte[72];
                    System.arraycopy(java.util.HexFormat.of().parseHex(downgradeSigner.toHex()), 0, all, 0, 8);
                    System.arraycopy(sig, 0, all, 8, 64);
                    put(zip, PackageReader.DOWNGRADE, all);
                }
                for (var e : files.entrySet()) {
                    put(zip, e.getKey(), e.getValue());
                }
                for (var e : unlisted.entrySet()) {
                    put(zip, e.getKey(), e.getValue());
                }
            }
            return out.toByteArray();
        }

        Path write(Path file) throws Exception {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.write(file, build());
            return file;
        }
    }

    Pkg pkg(String name, String version) {
        return new Pkg(name, version);
    }

    private static void put(ZipOutputStream zip, String name, byte[] b) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(b);
        zip.closeEntry();
    }
}
