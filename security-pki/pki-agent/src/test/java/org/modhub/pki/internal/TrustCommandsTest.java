package org.modhub.pki.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modhub.api.common.Eui64;
import org.modhub.api.messaging.CommandRefusedException;
import org.modhub.api.messaging.Envelope;
import org.modhub.api.security.KeyUse;
import org.modhub.api.security.PackageManifest;
import org.modhub.api.security.RemotePartyRole;
import org.modhub.api.security.SecurityCheckException;
import org.modhub.api.security.SecurityCheckException.Reason;
import org.modhub.api.security.TrustCommands;

/** Trust changes by signed command (verified, then handled, as the router does), and package signatures. */
class TrustCommandsTest {
    @TempDir
    Path dir;
    TestPki pki;
    Fixture fx;
    PkiAgent agent;
    final AtomicLong counter = new AtomicLong(1);

    @BeforeEach
    void setUp() throws Exception {
        pki = new TestPki();
        fx = new Fixture(pki, dir);
        agent = fx.agent();
    }

    /** Verify then handle, as the router does; returns the response text or throws the refusal. */
    private String run(TestPki.Party by, int code, byte[] payload) throws Exception {
        Envelope verified = agent.verify(TestPki.signed(TestPki.command(by.id(), counter.incrementAndGet(), Fixture.HUB,
                code, payload), by));
        if (Arrays.stream(TrustCommandHandler.CODES).noneMatch(c -> c == code)) {
            return "verified";
        }
        try {
            return new String(agent.handle(verified).toCompletableFuture().join().payload(), StandardCharsets.UTF_8);
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof CommandRefusedException && cause.getCause() instanceof SecurityCheckException s) {
                throw s;
            }
            throw (Exception) cause;
        }
    }

    @Test
    void onlyRecoveryReplacesTheAnchorAndPartiesMoveToTheNewRoot() throws Exception {
        TestPki next = new TestPki(0x90B3D51F30000000L); // same party ids, new root and keys
        byte[] payload = TrustState.join(List.of(next.root.getEncoded(), next.issuingCa.getEncoded(), next.role(RemotePartyRole.RECOVERY)
                .signingCert().getEncoded(), next.role(RemotePartyRole.SUPPLIER).signingCert().getEncoded()));
        for (RemotePartyRole r : List.of(RemotePartyRole.SUPPLIER, RemotePartyRole.ACCESS_CONTROL_BROKER)) {
            SecurityCheckException e = assertThrows(SecurityCheckException.class,
                    () -> run(pki.role(r), TrustCommands.REPLACE_TRUST_ANCHOR, payload));
            assertEquals(Reason.ROLE_NOT_PERMITTED, e.reason());
        }
        assertEquals(pki.root, agent.anchors().get(0));
        assertTrue(run(pki.role(RemotePartyRole.RECOVERY), TrustCommands.REPLACE_TRUST_ANCHOR, payload).startsWith("OK"));
        assertEquals(next.root, agent.anchors().get(0));
        // the old supplier key no longer counts; the new one does
        assertEquals(Reason.BAD_SIGNATURE, assertThrows(SecurityCheckException.class,
                () -> run(pki.role(RemotePartyRole.SUPPLIER), 0x0001, new byte[] {1})).reason());
        agent.verify(TestPki.signed(TestPki.command(next.role(RemotePartyRole.SUPPLIER).id(), counter.incrementAndGet(),
                Fixture.HUB, 0x0001, new byte[] {1}), next.role(RemotePartyRole.SUPPLIER)));
        // parties left under the old root no longer validate
        assertEquals(Reason.CERTIFICATE_INVALID, assertThrows(SecurityCheckException.class,
                () -> run(pki.role(RemotePartyRole.NETWORK_OPERATOR), 0x0001, new byte[] {1})).reason());
    }

    @Test
    void aReplacementWithABrokenCertificateChangesNothing() throws Exception {
        TestPki next = new TestPki();
        TestPki other = new TestPki();
        byte[] payload = TrustState.join(List.of(next.root.getEncoded(),
                other.role(RemotePartyRole.SUPPLIER).signingCert().getEncoded()));
        Map<String, String> before = fx.state.snapshot();
        assertThrows(SecurityCheckException.class, () -> run(pki.role(RemotePartyRole.RECOVERY),
                TrustCommands.REPLACE_TRUST_ANCHOR, payload));
        Map<String, String> after = fx.state.snapshot();
        after.keySet().removeIf(k -> k.startsWith(CommandVerification.COUNTERS));
        before.keySet().removeIf(k -> k.startsWith(CommandVerification.COUNTERS));
        assertEquals(before, after);
        assertEquals(pki.root, agent.anchors().get(0));
        assertThrows(SecurityCheckException.class, () -> run(pki.role(RemotePartyRole.RECOVERY),
                TrustCommands.REPLACE_TRUST_ANCHOR, new byte[] {0, 0, 0, 5, 1, 2}));
        // a non-CA "root" is refused too
        assertThrows(SecurityCheckException.class, () -> run(pki.role(RemotePartyRole.RECOVERY),
                TrustCommands.REPLACE_TRUST_ANCHOR, TrustState.join(List.of(next.role(RemotePartyRole.SUPPLIER)
                        .signingCert().getEncoded()))));
    }

    @Test
    void revocationWhitelistAndInstallation() throws Exception {
        TestPki.Party acb = pki.role(RemotePartyRole.ACCESS_CONTROL_BROKER);
        TestPki.Party supplier = pki.role(RemotePartyRole.SUPPLIER);
        run(supplier, 0x0001, new byte[] {1});
        run(acb, TrustCommands.WHITELIST_REMOVE, supplier.id().octets());
        assertFalse(agent.party(supplier.id()).orElseThrow().whitelisted());
        assertEquals(Reason.NOT_WHITELISTED, assertThrows(SecurityCheckException.class,
                () -> run(supplier, 0x0001, new byte[] {1})).reason());
        run(acb, TrustCommands.WHITELIST_ADD, supplier.id().octets());
        run(supplier, 0x0001, new byte[] {1});
        run(acb, TrustCommands.REVOKE_CERTIFICATE, Crypto.sha256(supplier.signingCert().getEncoded()));
        assertEquals(Reason.CERTIFICATE_REVOKED, assertThrows(SecurityCheckException.class,
                () -> run(supplier, 0x0001, new byte[] {1})).reason());
        // anchors cannot be revoked
        assertEquals(Reason.CERTIFICATE_INVALID, assertThrows(SecurityCheckException.class,
                () -> run(acb, TrustCommands.REVOKE_CERTIFICATE, Crypto.sha256(pki.root.getEncoded()))).reason());
        // credential replacement: a new supplier certificate
        TestPki.Party renewed = pki.party(supplier.id(), Set.of(RemotePartyRole.SUPPLIER), TestPki.validFrom(),
                Certificates.NO_EXPIRY, true);
        run(acb, TrustCommands.INSTALL_PARTY_CERTIFICATE, renewed.signingCert().getEncoded());
        run(renewed, 0x0001, new byte[] {1});
        // a certificate from a foreign PKI is not installed
        TestPki foreign = new TestPki(0x5500000000000000L);
        assertEquals(Reason.CERTIFICATE_INVALID, assertThrows(SecurityCheckException.class, () -> run(acb,
                TrustCommands.INSTALL_PARTY_CERTIFICATE, foreign.role(RemotePartyRole.SUPPLIER).signingCert()
                        .getEncoded())).reason());
        assertTrue(agent.party(foreign.role(RemotePartyRole.SUPPLIER).id()).isEmpty());
        // garbage certificates
        for (byte[] garbage : new byte[][] {new byte[0], new byte[] {0x30, 0x03, 1, 2, 3}, "not DER".getBytes()}) {
            assertEquals(Reason.CERTIFICATE_INVALID, assertThrows(SecurityCheckException.class, () -> run(acb,
                    TrustCommands.INSTALL_PARTY_CERTIFICATE, garbage)).reason());
        }
        // bad payload sizes
        assertEquals(Reason.MALFORMED, assertThrows(SecurityCheckException.class,
                () -> run(acb, TrustCommands.WHITELIST_ADD, new byte[7])).reason());
    }

    @Test
    void theHubCertificateIsReplacedByOneIssuedUnderTheAnchor() throws Exception {
        X509Certificate selfSigned = agent.hubCertificate(KeyUse.DIGITAL_SIGNATURE);
        X509Certificate issued = Certificates.issue(new Certificates.Spec(new org.bouncycastle.asn1.x500.X500Name(
                new org.bouncycastle.asn1.x500.RDN[0]), Fixture.HUB, KeyUse.DIGITAL_SIGNATURE, false, Set.of(),
                TestPki.validFrom(), Certificates.NO_EXPIRY, java.math.BigInteger.TEN), selfSigned.getPublicKey(),
                pki.issuingCa, pki.caKeys.getPrivate());
        run(pki.role(RemotePartyRole.ACCESS_CONTROL_BROKER), TrustCommands.INSTALL_HUB_CERTIFICATE, issued.getEncoded());
        assertEquals(issued, agent.hubCertificate(KeyUse.DIGITAL_SIGNATURE));
        assertEquals(issued, fx.agent().hubCertificate(KeyUse.DIGITAL_SIGNATURE), "kept in the key store");
        // a certificate for someone else's key is refused
        X509Certificate wrongKey = pki.role(RemotePartyRole.SUPPLIER).signingCert();
        assertThrows(SecurityCheckException.class, () -> run(pki.role(RemotePartyRole.ACCESS_CONTROL_BROKER),
                TrustCommands.INSTALL_HUB_CERTIFICATE, wrongKey.getEncoded()));
    }

    @Test
    void packagesVerifyOnlyUnderAManufacturerCertificate() throws Exception {
        TestPki.Party maker = pki.role(RemotePartyRole.MANUFACTURER);
        byte[] bundle = "bundle bytes".getBytes(StandardCharsets.UTF_8);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("bundles/zigbee.jar", Crypto.sha256(bundle));
        PackageManifest manifest = new PackageManifest(maker.id(), files);
        byte[] text = manifest.encode();
        PackageManifest verified = agent.verifyManifest(text, maker.sign(text));
        agent.verifyFile(verified, "bundles/zigbee.jar", new ByteArrayInputStream(bundle));
        assertEquals(Reason.DIGEST_MISMATCH, assertThrows(SecurityCheckException.class, () -> agent.verifyFile(verified,
                "bundles/zigbee.jar", new ByteArrayInputStream("evil".getBytes()))).reason());
        assertEquals(Reason.DIGEST_MISMATCH, assertThrows(SecurityCheckException.class, () -> agent.verifyFile(verified,
                "other.jar", new ByteArrayInputStream(bundle))).reason());
        byte[] tampered = text.clone();
        tampered[tampered.length - 2] ^= 1;
        assertThrows(SecurityCheckException.class, () -> agent.verifyManifest(tampered, maker.sign(text)));
        byte[] sig = maker.sign(text);
        sig[3] ^= 1;
        assertEquals(Reason.BAD_SIGNATURE, assertThrows(SecurityCheckException.class,
                () -> agent.verifyManifest(text, sig)).reason());
        TestPki.Party supplier = pki.role(RemotePartyRole.SUPPLIER);
        byte[] bySupplier = new PackageManifest(supplier.id(), files).encode();
        assertEquals(Reason.ROLE_NOT_PERMITTED, assertThrows(SecurityCheckException.class,
                () -> agent.verifyManifest(bySupplier, supplier.sign(bySupplier))).reason());
        assertEquals(Reason.MALFORMED, assertThrows(SecurityCheckException.class,
                () -> agent.verifyManifest("garbage\n".getBytes(), new byte[64])).reason());
        assertEquals(Reason.UNKNOWN_ORIGINATOR, assertThrows(SecurityCheckException.class, () -> {
            byte[] m = new PackageManifest(Eui64.of(5), files).encode();
            agent.verifyManifest(m, maker.sign(m));
        }).reason());
        assertInstanceOf(IllegalArgumentException.class, assertThrows(IllegalArgumentException.class,
                () -> new PackageManifest(maker.id(), Map.of("../etc/passwd", new byte[32]))));
    }

    @Test
    void refusedTrustCommandsBecomeCommandRefusals() throws Exception {
        Envelope verified = agent.verify(TestPki.signed(TestPki.command(pki.role(RemotePartyRole.RECOVERY).id(),
                counter.incrementAndGet(), Fixture.HUB, TrustCommands.INSTALL_PARTY_CERTIFICATE, new byte[] {1}),
                pki.role(RemotePartyRole.RECOVERY)));
        CompletionException e = assertThrows(CompletionException.class,
                () -> agent.handle(verified).toCompletableFuture().join());
        assertInstanceOf(CommandRefusedException.class, e.getCause());
    }
}
