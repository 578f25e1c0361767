package org.modhub.pki.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Date;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CertificatePolicies;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.OtherName;
import org.bouncycastle.asn1.x509.PolicyInformation;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.modhub.api.common.Eui64;
import org.modhub.api.security.KeyUse;
import org.modhub.api.security.RemotePartyRole;
import org.modhub.api.security.SecurityCheckException;
import org.modhub.api.security.SecurityCheckException.Reason;

/**
 * X.509 certificates of the GB SMKI style profile (RFC 5759/5280): P-256 keys, ecdsa-with-SHA256,
 * 8-octet key identifiers; end-entity certificates carry their entity id in a critical
 * SubjectAltName otherName HardwareModuleName (RFC 4108: hwType OID, hwSerialNum = the 8 octets)
 * and exactly one of keyUsage digitalSignature or keyAgreement. Device certificates have an empty
 * subject; organisation certificates may name the organisation and carry their remote-party roles
 * as certificate policies ({@link RemotePartyRole#policyOid()}). CA certificates (root, issuing
 * authority) have basicConstraints cA and keyUsage keyCertSign.
 */
public final class Certificates {
    /** id-on-hardwareModuleName (RFC 4108). */
    static final ASN1ObjectIdentifier HARDWARE_MODULE_NAME = new ASN1ObjectIdentifier("1.3.6.1.5.5.7.8.4");
    /** hwType of modhub entity ids: the modhub arc, .2.1 ("EUI-64 entity id"). */
    static final ASN1ObjectIdentifier HW_TYPE_EUI64 = new ASN1ObjectIdentifier(
            RemotePartyRole.OID_ARC.substring(0, RemotePartyRole.OID_ARC.lastIndexOf('.')) + ".2.1");
    static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";
    static final String ECDSA_WITH_SHA256_OID = "1.2.840.10045.4.3.2";
    /** notAfter of SMKI device certificates: 99991231235959Z. */
    public static final Date NO_EXPIRY = new Date(253402300799000L);

    private Certificates() {
    }

    /** Facts about one certificate, read once. */
    public record Info(X509Certificate certificate, byte[] der, String fingerprint, Optional<Eui64> entityId,
            Set<RemotePartyRole> roles, Optional<KeyUse> keyUse, boolean ca, byte[] subjectKeyId,
            byte[] authorityKeyId) {
        public PublicKey publicKey() {
            return certificate.getPublicKey();
        }

        public boolean selfIssued() {
            return Arrays.equals(subjectKeyId, authorityKeyId)
                    && certificate.getSubjectX500Principal().equals(certificate.getIssuerX500Principal());
        }
    }

    public static String fingerprint(byte[] der) {
        return HexFormat.of().formatHex(Crypto.sha256(der));
    }

    /**
     * Parses a DER certificate and checks the profile (P-256, ecdsa-with-SHA256, v3, 8-octet key
     * identifiers, entity id for end entities, one key use, CA flags consistent).
     *
     * @throws SecurityCheckException CERTIFICATE_INVALID with what is wrong
     */
    public static Info parse(byte[] der) throws SecurityCheckException {
        X509Certificate cert;
        X509CertificateHolder holder;
        try {
            if (der == null || der.length == 0 || der.length > 16_384) {
                throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "certificate size out of 1..16384 bytes");
            }
            CertificateFactory cf = CertificateFactory.getInstance("X.509", Crypto.BC);
            cert = (X509Certificate) cf.generateCertificate(new ByteArrayInputStream(der));
            if (cert == null || !Arrays.equals(cert.getEncoded(), der)) {
                throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "not exactly one DER certificate");
            }
            holder = new X509CertificateHolder(der);
        } catch (CertificateException | IOException | RuntimeException e) {
            throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "not a certificate: " + e.getMessage(), e);
        }
        if (cert.getVersion() != 3) {
            throw invalid("not an X.509 v3 certificate");
        }
        if (!ECDSA_WITH_SHA256_OID.equals(cert.getSigAlgOID())) {
            throw invalid("signature algorithm " + cert.getSigAlgOID() + " is not ecdsa-with-SHA256");
        }
        if (!Crypto.isP256(cert.getPublicKey())) {
            throw invalid("public key is not on P-256");
        }
        byte[] ski = keyId(holder, Extension.subjectKeyIdentifier);
        byte[] aki = keyId(holder, Extension.authorityKeyIdentifier);
        if (ski == null || ski.length != 8) {
            throw invalid("subject key identifier must have 8 octets");
        }
        if (aki == null || aki.length != 8) {
            throw invalid("authority key identifier must have 8 octets");
        }
        if (!Arrays.equals(ski, Crypto.keyIdentifier(cert.getPublicKey()))) {
            throw invalid("subject key identifier does not match the key");
        }
        Extension kuExt = holder.getExtension(Extension.keyUsage);
        if (kuExt == null || !kuExt.isCritical()) {
            throw invalid("keyUsage missing or not critical");
        }
        KeyUsage ku = KeyUsage.getInstance(kuExt.getParsedValue());
        BasicConstraints bc = BasicConstraints.fromExtensions(holder.getExtensions());
        boolean ca = bc != null && bc.isCA();
        Set<RemotePartyRole> roles = roles(holder);
        Optional<KeyUse> use = Optional.empty();
        Optional<Eui64> entity = entityId(holder);
        if (ca) {
            if (!ku.hasUsages(KeyUsage.keyCertSign)) {
                throw invalid("CA certificate without keyCertSign");
            }
        } else {
            boolean sig = ku.hasUsages(KeyUsage.digitalSignature);
            boolean ka = ku.hasUsages(KeyUsage.keyAgreement);
            if (sig == ka) {
                throw invalid("an end-entity key has exactly one use: digitalSignature or keyAgreement");
            }
            if (ku.hasUsages(KeyUsage.keyCertSign) || ku.hasUsages(KeyUsage.cRLSign)) {
                throw invalid("end-entity certificate with a CA key usage");
            }
            use = Optional.of(sig ? KeyUse.DIGITAL_SIGNATURE : KeyUse.KEY_AGREEMENT);
            if (entity.isEmpty()) {
                throw invalid("end-entity certificate without a critical HardwareModuleName entity id");
            }
        }
        return new Info(cert, der.clone(), fingerprint(der), entity, roles, use, ca, ski, aki);
    }

    private static SecurityCheckException invalid(String why) {
        return new SecurityCheckException(Reason.CERTIFICATE_INVALID, why);
    }

    private static byte[] keyId(X509CertificateHolder holder, ASN1ObjectIdentifier oid) {
        Extension e = holder.getExtension(oid);
        if (e == null) {
            return null;
        }
        if (oid.equals(Extension.subjectKeyIdentifier)) {
            return SubjectKeyIdentifier.getInstance(e.getParsedValue()).getKeyIdentifier();
        }
        return AuthorityKeyIdentifier.getInstance(e.getParsedValue()).getKeyIdentifier();
    }

    private static Set<RemotePartyRole> roles(X509CertificateHolder holder) throws SecurityCheckException {
        Set<RemotePartyRole> out = EnumSet.noneOf(RemotePartyRole.class);
        Extension e = holder.getExtension(Extension.certificatePolicies);
        if (e == null) {
            return out;
        }
        try {
            for (PolicyInformation p : CertificatePolicies.getInstance(e.getParsedValue()).getPolicyInformation()) {
                RemotePartyRole.ofPolicyOid(p.getPolicyIdentifier().getId()).ifPresent(out::add);
            }
        } catch (RuntimeException ex) {
            throw invalid("malformed certificatePolicies");
        }
        return out;
    }

    private static Optional<Eui64> entityId(X509CertificateHolder holder) throws SecurityCheckException {
        Extension e = holder.getExtension(Extension.subjectAlternativeName);
        if (e == null) {
            return Optional.empty();
        }
        if (!e.isCritical()) {
            throw invalid("SubjectAltName must be critical");
        }
        try {
            for (GeneralName n : GeneralNames.getInstance(e.getParsedValue()).getNames()) {
                if (n.getTagNo() != GeneralName.otherName) {
                    continue;
                }
                OtherName other = OtherName.getInstance(n.getName());
                if (!HARDWARE_MODULE_NAME.equals(other.getTypeID())) {
                    continue;
                }
                ASN1Sequence hw = ASN1Sequence.getInstance(other.getValue());
                if (hw.size() != 2 || !HW_TYPE_EUI64.equals(hw.getObjectAt(0))) {
                    throw invalid("HardwareModuleName of an unknown hwType");
                }
                byte[] serial = ASN1OctetString.getInstance(hw.getObjectAt(1)).getOctets();
                if (serial.length != 8) {
                    throw invalid("HardwareModuleName serial must be an 8-octet entity id");
                }
                return Optional.of(Eui64.of(serial));
            }
        } catch (SecurityCheckException ex) {
            throw ex;
        } catch (RuntimeException ex) {
            throw invalid("malformed SubjectAltName");
        }
        return Optional.empty();
    }

    /** What to put in a certificate being issued. */
    public record Spec(X500Name subject, Eui64 entityId, KeyUse keyUse, boolean ca, Set<RemotePartyRole> roles,
            Date notBefore, Date notAfter, BigInteger serial) {
    }

    /**
     * Issues a certificate of this profile for {@code subjectKey}, signed by {@code issuerKey} (the
     * issuer certificate's key, or the subject's own for a self-signed one: pass {@code issuer} null).
     */
    public static X509Certificate issue(Spec spec, PublicKey subjectKey, X509Certificate issuer, PrivateKey issuerKey) {
        return issue(spec, subjectKey, issuer, issuerKey, Crypto.BC);
    }

    /** As {@link #issue(Spec, PublicKey, X509Certificate, PrivateKey)}, signing through {@code signer}. */
    static X509Certificate issue(Spec spec, PublicKey subjectKey, X509Certificate issuer, PrivateKey issuerKey,
            java.security.Provider signer) {
        try {
            // RFC 5280 forbids an empty issuer: a self-signed device certificate (empty subject) names
            // itself as issuer "CN=self-signed <entity id>"
            X500Name issuerName = issuer != null ? X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded())
                    : spec.subject().getRDNs().length > 0 ? spec.subject()
                    : new X500Name("CN=self-signed " + spec.entityId().toHex());
            PublicKey issuerPublic = issuer == null ? subjectKey : issuer.getPublicKey();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuerName, spec.serial(), spec.notBefore(),
                    spec.notAfter(), spec.subject(), subjectKey);
            b.addExtension(Extension.subjectKeyIdentifier, false,
                    new SubjectKeyIdentifier(Crypto.keyIdentifier(subjectKey)));
            b.addExtension(Extension.authorityKeyIdentifier, false,
                    new AuthorityKeyIdentifier(Crypto.keyIdentifier(issuerPublic)));
            if (spec.ca()) {
                b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            } else {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(
                        spec.keyUse() == KeyUse.DIGITAL_SIGNATURE ? KeyUsage.digitalSignature : KeyUsage.keyAgreement));
            }
            if (spec.entityId() != null) {
                ASN1Encodable hw = new DERSequence(new ASN1Encodable[] {HW_TYPE_EUI64,
                    new DEROctetString(spec.entityId().octets())});
                b.addExtension(Extension.subjectAlternativeName, true,
                        new GeneralNames(new GeneralName(GeneralName.otherName, new OtherName(HARDWARE_MODULE_NAME, hw))));
            }
            if (spec.roles() != null && !spec.roles().isEmpty()) {
                b.addExtension(Extension.certificatePolicies, false, new CertificatePolicies(spec.roles().stream()
                        .map(r -> new PolicyInformation(new ASN1ObjectIdentifier(r.policyOid())))
                        .toArray(PolicyInformation[]::new)));
            }
            X509CertificateHolder holder = b.build(
                    new JcaContentSignerBuilder(SIGNATURE_ALGORITHM).setProvider(signer).build(issuerKey));
            return new JcaX509CertificateConverter().setProvider(Crypto.BC).getCertificate(holder);
        } catch (IOException | OperatorCreationException | CertificateException e) {
            throw new IllegalStateException("cannot issue certificate", e);
        }
    }

    /** A self-signed device-profile certificate (empty subject) for one of the hub's own keys. */
    public static X509Certificate selfSignedDevice(Eui64 entity, KeyUse use, KeyPair pair, PrivateKey signWith) {
        return selfSignedDevice(entity, use, pair, signWith, Crypto.BC);
    }

    /** As {@link #selfSignedDevice(Eui64, KeyUse, KeyPair, PrivateKey)}, signing through {@code signer}. */
    static X509Certificate selfSignedDevice(Eui64 entity, KeyUse use, KeyPair pair, PrivateKey signWith,
            java.security.Provider signer) {
        Spec spec = new Spec(new X500Name(new org.bouncycastle.asn1.x500.RDN[0]), entity, use, false, Set.of(),
                new Date((System.currentTimeMillis() / 1000 - 60) * 1000), NO_EXPIRY,
                new BigInteger(1, Crypto.keyIdentifier(pair.getPublic())));
        return issue(spec, pair.getPublic(), null, signWith, signer);
    }
}
