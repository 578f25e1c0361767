package org.modhub.hubctl;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
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
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.modhub.api.common.Eui64;
import org.modhub.api.security.RemotePartyRole;

/**
 * {@code hubctl dev-pki}: a development PKI for test hubs — a dev root (the trust anchor), a
 * Manufacturer party under it (signs packages) and a Recovery party (signs downgrade statements),
 * in the certificate profile the PKI agent accepts (security-pki/README.md "Certificates"). Never for
 * production: the root key sits in a file next to the certificates.
 */
final class DevPki {
    /** id-on-hardwareModuleName (RFC 4108). */
    static final ASN1ObjectIdentifier HARDWARE_MODULE_NAME = new ASN1ObjectIdentifier("1.3.6.1.5.5.7.8.4");
    /** hwType of modhub entity ids: the modhub arc .2.1. */
    static final ASN1ObjectIdentifier HW_TYPE_EUI64 = new ASN1ObjectIdentifier(
            RemotePartyRole.OID_ARC.substring(0, RemotePartyRole.OID_ARC.lastIndexOf('.')) + ".2.1");
    /** notAfter of SMKI organisation certificates: 99991231235959Z. */
    static final Date NO_EXPIRY = new Date(253402300799000L);
    static final String DEFAULT_MANUFACTURER = "00-11-22-33-44-55-66-77";
    static final String DEFAULT_RECOVERY = "00-11-22-33-44-55-66-78";

    private static final BouncyCastleProvider BC = new BouncyCastleProvider();
    private static final SecureRandom RANDOM = new SecureRandom();

    private DevPki() {
    }

    static int run(Map<String, String> o) throws Exception {
        Path dir = Path.of(Hubctl.need(o, "dir"));
        Eui64 manufacturer = Eui64.parse(o.getOrDefault("manufacturer", DEFAULT_MANUFACTURER));
        Eui64 recovery = Eui64.parse(o.getOrDefault("recovery", DEFAULT_RECOVERY));
        if (manufacturer.equals(recovery)) {
            throw new Hubctl.UsageException("--manufacturer and --recovery must differ");
        }
        Files.createDirectories(dir);
        for (String f : new String[] { "root.pem", "parties.pem", "root.key", "manufacturer.key", "recovery.key" }) {
            if (Files.exists(dir.resolve(f))) {
                throw new IllegalStateException(dir.resolve(f) + " exists: a dev PKI is there already (use another --dir)");
            }
        }
        KeyPair rootKeys = p256();
        KeyPair mKeys = p256();
        KeyPair rKeys = p256();
        Date from = Date.from(Instant.now().minus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS));
        X500Name rootName = new X500Name("CN=modhub dev root (not for production)");
        X509Certificate root = issue(rootName, rootName, rootKeys.getPublic(), rootKeys, null, null, from);
        X509Certificate m = issue(new X500Name("O=modhub dev manufacturer"), rootName, mKeys.getPublic(), rootKeys,
                manufacturer, RemotePartyRole.MANUFACTURER, from);
        X509Certificate r = issue(new X500Name("O=modhub dev recovery"), rootName, rKeys.getPublic(), rootKeys, recovery,
                RemotePartyRole.RECOVERY, from);
        writePrivate(dir.resolve("root.key"), rootKeys.getPrivate());
        writePrivate(dir.resolve("manufacturer.key"), mKeys.getPrivate());
        writePrivate(dir.resolve("recovery.key"), rKeys.getPrivate());
        Files.writeString(dir.resolve("root.pem"), pem(root));
        Files.writeString(dir.resolve("parties.pem"), pem(m) + pem(r));
        Path abs = dir.toAbsolutePath().normalize();
        System.out.println("dev PKI in " + abs + " (development only: the root key is in root.key)");
        System.out.println("  trust anchor   root.pem        " + fingerprint(root));
        System.out.println("  Manufacturer   " + manufacturer + " parties.pem, key manufacturer.key");
        System.out.println("  Recovery       " + recovery + " parties.pem, key recovery.key");
        System.out.println("provision a hub on its first boot (while it has no trust anchor):");
        System.out.println("  MODHUB_JAVA_OPTS=\"-Dmodhub.pki.provisionAnchors=" + abs.resolve("root.pem")
                + " -Dmodhub.pki.provisionParties=" + abs.resolve("parties.pem") + " ...\" distro/run");
        System.out.println("sign packages with:");
        System.out.println("  hubctl package --signer " + manufacturer + " --key " + abs.resolve("manufacturer.key") + " ...");
        return Hubctl.OK;
    }

    static KeyPair p256() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC"); // the JDK's keys: hubctl package reads them back with the JDK
        g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return g.generateKeyPair();
    }

    /** Leftmost 64 bits of SHA-256 of the uncompressed public point (the PKI agent's key identifiers). */
    static byte[] keyId(PublicKey key) throws Exception {
        byte[] spki = key.getEncoded();
        byte[] point = Arrays.copyOfRange(spki, spki.length - 65, spki.length);
        return Arrays.copyOf(MessageDigest.getInstance("SHA-256").digest(point), 8);
    }

    /** A CA certificate (entity null) or an organisation's digital-signature certificate with one role. */
    static X509Certificate issue(X500Name subject, X500Name issuer, PublicKey subjectKey, KeyPair issuerKeys,
            Eui64 entity, RemotePartyRole role, Date from) throws Exception {
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, new BigInteger(63, RANDOM).add(BigInteger.ONE),
                from, NO_EXPIRY, subject, subjectKey);
        b.addExtension(Extension.subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyId(subjectKey)));
        b.addExtension(Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(keyId(issuerKeys.getPublic())));
        if (entity == null) {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            ASN1Encodable hw = new DERSequence(new ASN1Encodable[] { HW_TYPE_EUI64, new DEROctetString(entity.octets()) });
            b.addExtension(Extension.subjectAlternativeName, true,
                    new GeneralNames(new GeneralName(GeneralName.otherName, new OtherName(HARDWARE_MODULE_NAME, hw))));
            b.addExtension(Extension.certificatePolicies, false,
                    new CertificatePolicies(new PolicyInformation(new ASN1ObjectIdentifier(role.policyOid()))));
        }
        X509CertificateHolder h = b.build(new JcaContentSignerBuilder("SHA256withECDSA").setProvider(BC)
                .build(issuerKeys.getPrivate()));
        return new JcaX509CertificateConverter().setProvider(BC).getCertificate(h);
    }

    static String pem(X509Certificate c) throws Exception {
        return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(c.getEncoded()) + "\n-----END CERTIFICATE-----\n";
    }

    static String fingerprint(X509Certificate c) throws Exception {
        return "SHA256:" + java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
    }

    /** A PKCS#8 PEM private key, owner-only (0600) from its creation. */
    static void writePrivate(Path f, PrivateKey k) throws Exception {
        String text = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(k.getEncoded()) + "\n-----END PRIVATE KEY-----\n";
        Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(f, text, StandardOpenOption.TRUNCATE_EXISTING);
    }
}
