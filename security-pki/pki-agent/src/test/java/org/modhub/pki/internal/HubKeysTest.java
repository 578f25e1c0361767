package org.modhub.pki.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Map;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modhub.api.common.Eui64;
import org.modhub.api.security.KeyUse;
import org.modhub.api.security.SecurityCheckException;

class HubKeysTest {
    static final TestPki PKI = new TestPki();
    static final char[] SECRET = "a-secret-of-enough-length".toCharArray();

    @TempDir
    Path dir;

    @Test
    void firstBootGeneratesTwoDeviceProfileKeysThatSurviveARestart() throws Exception {
        HubKeys keys = new HubKeys(Fixture.HUB, dir, SECRET, HubKeys.drbg());
        assertTrue(keys.created());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(HubKeys.FILE))));
        for (KeyUse use : KeyUse.values()) {
            Certificates.Info info = Certificates.parse(keys.certificate(use).getEncoded());
            assertEquals(Fixture.HUB, info.entityId().orElseThrow());
            assertEquals(use, info.keyUse().orElseThrow());
            assertEquals(2, keys.certificate(use).getSubjectX500Principal().getEncoded().length, "empty subject");
            assertEquals(Certificates.NO_EXPIRY, keys.certificate(use).getNotAfter());
        }
        assertFalse(Arrays.equals(keys.publicKey(KeyUse.DIGITAL_SIGNATURE).getEncoded(),
                keys.publicKey(KeyUse.KEY_AGREEMENT).getEncoded()));
        HubKeys again = new HubKeys(Fixture.HUB, dir, SECRET, HubKeys.drbg());
        assertFalse(again.created());
        for (KeyUse use : KeyUse.values()) {
            assertArrayEquals(keys.publicKey(use).getEncoded(), again.publicKey(use).getEncoded());
        }
        byte[] data = {1, 2, 3};
        assertTrue(Crypto.verify(keys.publicKey(KeyUse.DIGITAL_SIGNATURE), data, again.sign(data)));
        // no private key material in the clear in the file
        byte[] file = Files.readAllBytes(dir.resolve(HubKeys.FILE));
        assertFalse(new String(file, java.nio.charset.StandardCharsets.ISO_8859_1).contains("BEGIN"));
    }

    @Test
    void csrsAreSignedByTheirKeyWithAnEmptySubjectAndTheProfileExtensions() throws Exception {
        HubKeys keys = new HubKeys(Fixture.HUB, dir, SECRET, HubKeys.drbg());
        for (KeyUse use : KeyUse.values()) {
            PKCS10CertificationRequest csr = new PKCS10CertificationRequest(keys.csr(use));
            assertTrue(csr.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(Crypto.BC)
                    .build(csr.getSubjectPublicKeyInfo())));
            assertEquals(0, csr.getSubject().getRDNs().length);
            Extensions ext = Extensions.getInstance(csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)[0]
                    .getAttrValues().getObjectAt(0));
            assertTrue(ext.getExtension(Extension.subjectAlternativeName).isCritical());
            assertArrayEquals(keys.publicKey(use).getEncoded(), csr.getSubjectPublicKeyInfo().getEncoded());
        }
    }

    @Test
    void wrongSecretCorruptStoreAndForeignEntityAreRefusedWithATypedReason() throws Exception {
        new HubKeys(Fixture.HUB, dir, SECRET, HubKeys.drbg());
        SecurityCheckException wrong = assertThrows(SecurityCheckException.class,
                () -> new HubKeys(Fixture.HUB, dir, "another-secret-entirely".toCharArray(), HubKeys.drbg()));
        assertEquals(SecurityCheckException.Reason.CERTIFICATE_INVALID, wrong.reason());
        assertThrows(SecurityCheckException.class, () -> new HubKeys(Eui64.of(99), dir, SECRET, HubKeys.drbg()));
        Path file = dir.resolve(HubKeys.FILE);
        byte[] bytes = Files.readAllBytes(file);
        for (int cut : new int[] {0, 10, bytes.length / 2, bytes.length - 1}) {
            Files.write(file, Arrays.copyOf(bytes, cut));
            assertThrows(SecurityCheckException.class, () -> new HubKeys(Fixture.HUB, dir, SECRET, HubKeys.drbg()),
                    "cut at " + cut);
        }
        byte[] garbage = new byte[4000];
        new java.util.Random(1).nextBytes(garbage);
        Files.write(file, garbage);
        assertThrows(SecurityCheckException.class, () -> new HubKeys(Fixture.HUB, dir, SECRET, HubKeys.drbg()));
    }

    @Test
    void secretSources() throws Exception {
        Path secret = dir.resolve("s/secret");
        char[] created = SecretSource.read("file:" + secret, true, Map.of(), HubKeys.drbg());
        assertTrue(created.length >= 16);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)));
        assertArrayEquals(created, SecretSource.read("file:" + secret, false, Map.of(), HubKeys.drbg()));
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r--r--"));
        assertThrows(IllegalArgumentException.class, () -> SecretSource.read("file:" + secret, false, Map.of(), null));
        assertThrows(IllegalArgumentException.class, () -> SecretSource.read("file:" + dir.resolve("none"), false,
                Map.of(), null));
        assertArrayEquals("0123456789abcdefXYZ".toCharArray(), SecretSource.read("env:K", false,
                Map.of("K", "0123456789abcdefXYZ"), null));
        assertThrows(IllegalArgumentException.class, () -> SecretSource.read("env:K", false, Map.of("K", "short"), null));
        assertThrows(IllegalArgumentException.class, () -> SecretSource.read("env:K", false, Map.of(), null));
        assertThrows(IllegalArgumentException.class, () -> SecretSource.read("vault:x", false, Map.of(), null));
    }

    @Test
    void theAgentRefusesABadConfigurationNamingTheField() throws Exception {
        Fixture fx = new Fixture(PKI, dir);
        for (var bad : new Object[][] {{"hubId", "not-an-id"}, {"codeRoles", new String[] {"0x0F01=KING"}},
            {"valueRanges", new String[] {"0x0302:0:9:1:2"}}, {"validitySeconds", 0},
            {"secretSource", "env:MISSING"}, {"provisionAnchors", dir.resolve("missing.pem").toString()}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> fx.agent(Map.of((String) bad[0], bad[1])), (String) bad[0]);
            assertTrue(e.getMessage().startsWith(PkiAgent.PID + " " + bad[0]), e.getMessage());
        }
        // the env secret source works
        Path other = dir.resolve("other");
        Files.createDirectories(other);
        new Fixture(PKI, other).agent(Map.of("secretSource", "env:MODHUB_PKI_SECRET"));
    }
}
