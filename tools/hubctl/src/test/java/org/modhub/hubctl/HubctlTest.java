package org.modhub.hubctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modhub.api.security.PackageManifest;
import org.modhub.api.security.PackageVerifier;
import org.modhub.api.security.SecurityCheckException;
import org.modhub.ota.internal.PackageReader;
import org.osgi.framework.Version;
import org.osgi.framework.VersionRange;

/** What hubctl signs is what the OTA agent's reader accepts; the Kura metric codec round-trips; usage errors exit 1. */
class HubctlTest {
    @TempDir
    Path dir;

    static Path pem(Path f, KeyPair k) throws Exception {
        Files.writeString(f, "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(k.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n");
        return f;
    }

    static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    @Test
    void packageIsAcceptedByTheAgentsReader() throws Exception {
        KeyPair manufacturer = ec();
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().putValue("Bundle-ManifestVersion", "2");
        mf.getMainAttributes().putValue("Bundle-SymbolicName", "com.acme.x");
        mf.getMainAttributes().putValue("Bundle-Version", "1.2.0");
        Path jar = dir.resolve("x.jar");
        try (JarOutputStream j = new JarOutputStream(Files.newOutputStream(jar), mf)) {
            // manifest only
        }
        Path out = dir.resolve("x.dp");
        assertEquals(0, Hubctl.run(new String[] { "package", "--name", "acme-x", "--version", "1.2.0", "--signer",
            "00-11-22-33-44-55-66-77", "--key", pem(dir.resolve("m.pem"), manufacturer).toString(), "--out", out.toString(),
            jar.toString() }));
        PackageVerifier verifier = new PackageVerifier() {
            public PackageManifest verifyManifest(byte[] manifest, byte[] signature) throws SecurityCheckException {
                try {
                    Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
                    s.initVerify(manifester(manufacturer));
                    s.update(manifest);
                    if (!s.verify(signature)) {
                        throw new SecurityCheckException(SecurityCheckException.Reason.BAD_SIGNATURE, "bad");
                    }
                } catch (java.security.GeneralSecurityException e) {
                    throw new SecurityCheckException(SecurityCheckException.Reason.BAD_SIGNATURE, e.getMessage());
                }
                return PackageManifest.parse(manifest);
            }

            public void verifyFile(PackageManifest m, String name, InputStream in) throws SecurityCheckException,
                    java.io.IOException {
                try {
                    if (!MessageDigest.isEqual(MessageDigest.getInstance("SHA-256").digest(in.readAllBytes()), m.digest(name))) {
                        throw new SecurityCheckException(SecurityCheckException.Reason.DIGEST_MISMATCH, name);
                    }
                } catch (java.security.NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
        PackageReader.Verified v = new PackageReader(verifier, (s, d) -> { }, dir.resolve("store"), 1 << 20, b -> false, false)
                .read(out, new PackageReader.Environment() {
                    public Map<String, Version> installedVersions() {
                        return Map.of();
                    }

                    public boolean exported(String pkg, VersionRange range) {
                        return false;
                    }
                });
        assertEquals("acme-x", v.name());
        assertEquals("com.acme.x", v.bundles().get(0).bsn());
    }

    static java.security.PublicKey manifester(KeyPair k) {
        return k.getPublic();
    }

    @Test
    void devPkiIssuesCertificatesThePkiAgentAcceptsAndKeysHubctlSignsWith() throws Exception {
        assertEquals(0, Hubctl.run(new String[] { "dev-pki", "--dir", dir.resolve("pki").toString() }));
        java.security.cert.CertificateFactory cf = java.security.cert.CertificateFactory.getInstance("X.509");
        java.util.List<java.security.cert.X509Certificate> roots = new java.util.ArrayList<>();
        java.util.List<java.security.cert.X509Certificate> parties = new java.util.ArrayList<>();
        try (InputStream in = Files.newInputStream(dir.resolve("pki/root.pem"))) {
            cf.generateCertificates(in).forEach(c -> roots.add((java.security.cert.X509Certificate) c));
        }
        try (InputStream in = Files.newInputStream(dir.resolve("pki/parties.pem"))) {
            cf.generateCertificates(in).forEach(c -> parties.add((java.security.cert.X509Certificate) c));
        }
        assertEquals(1, roots.size());
        assertEquals(2, parties.size());
        // the PKI agent's own profile check
        org.modhub.pki.internal.Certificates.Info root = org.modhub.pki.internal.Certificates.parse(roots.get(0).getEncoded());
        assertTrue(root.ca() && root.selfIssued());
        org.modhub.pki.internal.Certificates.Info m = org.modhub.pki.internal.Certificates.parse(parties.get(0).getEncoded());
        org.modhub.pki.internal.Certificates.Info r = org.modhub.pki.internal.Certificates.parse(parties.get(1).getEncoded());
        assertEquals(java.util.Set.of(org.modhub.api.security.RemotePartyRole.MANUFACTURER), m.roles());
        assertEquals(java.util.Set.of(org.modhub.api.security.RemotePartyRole.RECOVERY), r.roles());
        assertEquals(org.modhub.api.common.Eui64.parse(DevPki.DEFAULT_MANUFACTURER), m.entityId().orElseThrow());
        assertEquals(java.util.Optional.of(org.modhub.api.security.KeyUse.DIGITAL_SIGNATURE), m.keyUse());
        assertTrue(java.util.Arrays.equals(root.subjectKeyId(), m.authorityKeyId()));
        parties.get(0).verify(roots.get(0).getPublicKey());
        // the key file is owner-only and signs what the certificate verifies
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve("pki/manufacturer.key"))));
        byte[] data = "modhub-package-manifest 1\n".getBytes(StandardCharsets.UTF_8);
        byte[] sig = Hubctl.sign(Hubctl.key(dir.resolve("pki/manufacturer.key")), data);
        Signature v = Signature.getInstance("SHA256withECDSAinP1363Format");
        v.initVerify(parties.get(0).getPublicKey());
        v.update(data);
        assertTrue(v.verify(sig));
        // never over an existing PKI
        assertEquals(Hubctl.ERROR, Hubctl.run(new String[] { "dev-pki", "--dir", dir.resolve("pki").toString() }));
    }

    @Test
    void kuraMetricsRoundTrip() throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dp.job.id", 42L);
        m.put("dp.uri", "http://127.0.0.1:1/x.dp");
        m.put("dp.install", true);
        KuraMessages.Decoded d = KuraMessages.decode(KuraMessages.encode(m, "body".getBytes(StandardCharsets.UTF_8)));
        assertEquals(m, d.metrics());
        assertEquals("body", new String(d.body(), StandardCharsets.UTF_8));
    }

    @Test
    void usageErrorsExitOneAndHelpExitsZero() {
        PrintStream err = System.err;
        PrintStream out = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(buf));
            System.setOut(new PrintStream(buf));
            assertEquals(1, Hubctl.run(new String[0]));
            assertEquals(1, Hubctl.run(new String[] { "frobnicate" }));
            assertEquals(1, Hubctl.run(new String[] { "deploy", "--broker", "tcp://127.0.0.1:1" }));
            assertEquals(0, Hubctl.run(new String[] { "watch", "--help" }));
            assertEquals(2, Hubctl.run(new String[] { "bundles", "--broker", "tcp://127.0.0.1:1", "--hub", "x" }));
        } finally {
            System.setErr(err);
            System.setOut(out);
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("--hub is required"), text);
        assertTrue(text.contains("hubctl watch --broker"), text);
    }
}
