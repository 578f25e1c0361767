package org.modhub.pki.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Date;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.modhub.api.common.Eui64;
import org.modhub.api.security.KeyUse;
import org.modhub.api.security.RemotePartyRole;
import org.modhub.api.security.SecurityCheckException;
import org.modhub.api.security.SecurityCheckException.Reason;

class CertificatesTest {
    static final TestPki PKI = new TestPki();

    @Test
    void organisationCertificatesCarryEntityIdRolesAndEightOctetKeyIds() throws Exception {
        for (var e : PKI.parties.entrySet()) {
            Certificates.Info info = Certificates.parse(e.getValue().signingCert().getEncoded());
            assertEquals(Set.of(e.getKey()), info.roles());
            assertEquals(e.getValue().id(), info.entityId().orElseThrow());
            assertEquals(KeyUse.DIGITAL_SIGNATURE, info.keyUse().orElseThrow());
            assertEquals(8, info.subjectKeyId().length);
            assertEquals(8, info.authorityKeyId().length);
            assertTrue(e.getValue().signingCert().getCriticalExtensionOIDs().contains(Extension.subjectAlternativeName.getId()));
            assertEquals("1.2.840.10045.4.3.2", e.getValue().signingCert().getSigAlgOID());
        }
        assertTrue(RemotePartyRole.SUPPLIER.policyOid().startsWith("2.25."));
        assertEquals(RemotePartyRole.MANUFACTURER, RemotePartyRole.ofPolicyOid(RemotePartyRole.MANUFACTURER.policyOid())
                .orElseThrow());
    }

    private static byte[] build(KeyPair subject, java.util.function.Consumer<JcaX509v3CertificateBuilder> ext,
            String alg) throws Exception {
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name("CN=Test Root"), BigInteger.ONE,
                new Date(), Certificates.NO_EXPIRY, new X500Name("CN=x"), subject.getPublic());
        ext.accept(b);
        return new JcaX509CertificateConverter().setProvider(Crypto.BC).getCertificate(
                b.build(new JcaContentSignerBuilder(alg).setProvider(Crypto.BC).build(PKI.rootKeys.getPrivate())))
                .getEncoded();
    }

    @Test
    void certificatesOutsideTheProfileAreRefused() throws Exception {
        KeyPair p256 = Crypto.generateP256(TestPki.RANDOM);
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", Crypto.BC);
        g.initialize(new ECGenParameterSpec("secp384r1"));
        KeyPair p384 = g.generateKeyPair();
        byte[] noExtensions = build(p256, b -> { }, "SHA256withECDSA");
        byte[] sha384 = build(p256, b -> { }, "SHA384withECDSA");
        byte[] onP384 = build(p384, b -> { }, "SHA256withECDSA");
        byte[] twoUses = build(p256, b -> {
            try {
                b.addExtension(Extension.subjectKeyIdentifier, false,
                        new org.bouncycastle.asn1.x509.SubjectKeyIdentifier(Crypto.keyIdentifier(p256.getPublic())));
                b.addExtension(Extension.authorityKeyIdentifier, false,
                        new org.bouncycastle.asn1.x509.AuthorityKeyIdentifier(Crypto.keyIdentifier(PKI.rootKeys.getPublic())));
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "SHA256withECDSA");
        for (byte[] bad : new byte[][] {noExtensions, sha384, onP384, twoUses}) {
            SecurityCheckException e = assertThrows(SecurityCheckException.class, () -> Certificates.parse(bad));
            assertEquals(Reason.CERTIFICATE_INVALID, e.reason());
        }
        byte[] good = PKI.role(RemotePartyRole.SUPPLIER).signingCert().getEncoded();
        for (byte[] bad : new byte[][] {null, new byte[0], Arrays.copyOf(good, good.length - 1),
            Arrays.copyOf(good, good.length + 1), new byte[20_000]}) {
            assertEquals(Reason.CERTIFICATE_INVALID, assertThrows(SecurityCheckException.class,
                    () -> Certificates.parse(bad)).reason());
        }
        // an end-entity certificate without an entity id
        byte[] noId = Certificates.issue(new Certificates.Spec(new X500Name("O=x"), null, KeyUse.DIGITAL_SIGNATURE, false,
                Set.of(), new Date(), Certificates.NO_EXPIRY, BigInteger.TWO), p256.getPublic(), PKI.root,
                PKI.rootKeys.getPrivate()).getEncoded();
        assertEquals(Reason.CERTIFICATE_INVALID, assertThrows(SecurityCheckException.class,
                () -> Certificates.parse(noId)).reason());
        assertEquals(Eui64.of(7), Certificates.parse(Certificates.selfSignedDevice(Eui64.of(7), KeyUse.KEY_AGREEMENT,
                p256, p256.getPrivate()).getEncoded()).entityId().orElseThrow());
    }
}
