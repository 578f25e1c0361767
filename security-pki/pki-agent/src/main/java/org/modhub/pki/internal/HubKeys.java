package org.modhub.pki.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.PBEParameterSpec;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.modhub.api.common.Eui64;
import org.modhub.api.security.KeyUse;
import org.modhub.api.security.SecurityCheckException;
import org.modhub.api.security.SecurityCheckException.Reason;

/**
 * The hub's identity: its entity id and two P-256 key pairs (digital signature, key agreement),
 * generated on first boot from a NIST SP 800-90A DRBG with prediction resistance (signature nonces come
 * from a second DRBG without it, which would cost a fresh entropy read per signature). The private keys exist only in a PKCS#12 key
 * store ({@value #FILE} in the PKI data folder; entries encrypted with PBES2 AES-256 / HmacSHA256
 * under the secret from the configured {@link SecretSource}) and in this object's memory; nothing
 * outside this class gets them. Each key has a certificate in the store: a self-signed device-profile
 * certificate until one issued under a trust anchor is installed.
 */
public final class HubKeys {
    public static final String FILE = "hub-keys.p12";
    private static final String SIG = "digital-signature";
    private static final String KA = "key-agreement";
    private static final int PBE_ITERATIONS = 10_000;

    private final Eui64 entityId;
    private final Path file;
    private final char[] password;
    private final SecureRandom random;
    /** ECDSA nonces: a DRBG reseeded periodically, without a fresh entropy read per signature. */
    private final SecureRandom nonces;
    private final Map<KeyUse, PrivateKey> privateKeys = new EnumMap<>(KeyUse.class);
    private final Map<KeyUse, X509Certificate> certificates = new EnumMap<>(KeyUse.class);
    private final boolean created;
    /** The PKCS#11 provider of the token holding the keys; null for the PKCS#12 file. */
    private final java.security.Provider token;
    private final KeyStore tokenStore;

    /**
     * Opens the key store in {@code dir}, or creates it with fresh keys if there is none.
     *
     * @throws SecurityCheckException CERTIFICATE_INVALID if the store is unreadable (wrong secret,
     *         corrupt) or belongs to another entity id
     */
    public HubKeys(Eui64 entityId, Path dir, char[] password, SecureRandom random)
            throws IOException, SecurityCheckException {
        this.entityId = entityId;
        this.file = dir.resolve(FILE);
        this.password = password.clone();
        this.random = random;
        this.nonces = nonceDrbg();
        this.token = null;
        this.tokenStore = null;
        Files.createDirectories(dir);
        if (Files.exists(file)) {
            load();
            created = false;
        } else {
            generate();
            created = true;
        }
    }

    private HubKeys(Eui64 entityId, java.security.Provider token, char[] pin, SecureRandom random)
            throws SecurityCheckException {
        this.entityId = entityId;
        this.file = null;
        this.password = new char[0];
        this.random = random;
        this.nonces = null;
        this.token = token;
        try {
            this.tokenStore = KeyStore.getInstance("PKCS11", token);
            tokenStore.load(null, pin);
        } catch (GeneralSecurityException | IOException | RuntimeException e) {
            throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "cannot log in to PKCS#11 token of "
                    + token.getName() + " (wrong PIN or no token): " + e.getMessage(), e);
        }
        boolean hasSig;
        boolean hasKa;
        try {
            hasSig = tokenStore.isKeyEntry(SIG);
            hasKa = tokenStore.isKeyEntry(KA);
        } catch (KeyStoreException e) {
            throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "cannot list the token's keys: " + e.getMessage(), e);
        }
        if (hasSig && hasKa) {
            loadFromToken();
            created = false;
        } else if (!hasSig && !hasKa) {
            generateOnToken();
            created = true;
        } else {
            throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "PKCS#11 token holds only one of the hub's "
                    + "keys (" + (hasSig ? SIG : KA) + "): refusing to generate over a partial identity");
        }
    }

    /**
     * The hub's keys on a PKCS#11 token: opens them, or generates them on the token on first use.
     *
     * @param token a configured SunPKCS11 provider for the token's slot
     * @param pin the user PIN
     * @throws SecurityCheckException CERTIFICATE_INVALID if the token refuses the PIN, holds a partial
     *         identity or another entity's keys, or would let a private key out
     */
    public static HubKeys onToken(Eui64 entityId, java.security.Provider token, char[] pin, SecureRandom random)
            throws SecurityCheckException {
        return new HubKeys(entityId, token, pin, random);
    }

    /** Whether the private keys live on a PKCS#11 token. */
    public boolean onToken() {
        return token != null;
    }

    private void generateOnToken() throws SecurityCheckException {
        try {
            for (KeyUse use : KeyUse.values()) {
                java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC", token);
                g.initialize(new java.security.spec.ECGenParameterSpec(Crypto.CURVE));
                KeyPair pair = g.generateKeyPair();
                X509Certificate cert = Certificates.selfSignedDevice(entityId, use, pair, pair.getPrivate(), token);
                tokenStore.setKeyEntry(alias(use), pair.getPrivate(), null, new Certificate[] {cert});
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "cannot generate the hub's keys on the "
                    + "PKCS#11 token: " + e.getMessage(), e);
        }
        loadFromToken();
    }

    private void loadFromToken() throws SecurityCheckException {
        try {
            for (KeyUse use : KeyUse.values()) {
                String alias = alias(use);
                PrivateKey key = (PrivateKey) tokenStore.getKey(alias, null);
                X509Certificate cert = (X509Certificate) tokenStore.getCertificate(alias);
                if (key == null || cert == null) {
                    throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "PKCS#11 token has no " + alias
                            + " key with a certificate");
                }
                if (key.getEncoded() != null) {
                    throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "PKCS#11 token lets the " + alias
                            + " private key out (not sensitive / extractable): refused");
                }
                Certificates.Info info = Certificates.parse(cert.getEncoded());
                if (!info.entityId().equals(java.util.Optional.of(entityId)) || info.keyUse().orElse(null) != use) {
                    throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "PKCS#11 token holds keys of "
                            + info.entityId().map(Object::toString).orElse("no entity") + ", not of this hub " + entityId);
                }
                privateKeys.put(use, key);
                certificates.put(use, info.certificate());
            }
        } catch (GeneralSecurityException | ClassCastException e) {
            throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "cannot read the hub's keys from the PKCS#11 "
                    + "token: " + e.getMessage(), e);
        }
    }

    /** A DRBG (SP 800-90A) seeded by the JDK from the system's entropy source. */
    public static SecureRandom drbg() {
        try {
            return SecureRandom.getInstance("DRBG", java.security.DrbgParameters.instantiation(256,
                    java.security.DrbgParameters.Capability.PR_AND_RESEED, "modhub-pki".getBytes()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no DRBG", e);
        }
    }

    private static SecureRandom nonceDrbg() {
        try {
            return SecureRandom.getInstance("DRBG", java.security.DrbgParameters.instantiation(256,
                    java.security.DrbgParameters.Capability.RESEED_ONLY, "modhub-pki-nonces".getBytes()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no DRBG", e);
        }
    }

    public boolean created() {
        return created;
    }

    public Eui64 entityId() {
        return entityId;
    }

    private void generate() throws IOException {
        for (KeyUse use : KeyUse.values()) {
            KeyPair pair = Crypto.generateP256(random);
            privateKeys.put(use, pair.getPrivate());
            certificates.put(use, Certificates.selfSignedDevice(entityId, use, pair, pair.getPrivate()));
        }
        save();
    }

    private void load() throws IOException, SecurityCheckException {
        byte[] bytes = Files.readAllBytes(file);
        try (InputStream in = new java.io.ByteArrayInputStream(bytes)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, password);
            KeyFactory kf = KeyFactory.getInstance("EC", Crypto.BC);
            for (KeyUse use : KeyUse.values()) {
                String alias = alias(use);
                KeyStore.PrivateKeyEntry e = (KeyStore.PrivateKeyEntry) ks.getEntry(alias,
                        new KeyStore.PasswordProtection(password));
                if (e == null) {
                    throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "key store " + file + " has no " + alias
                            + " key");
                }
                X509Certificate cert = (X509Certificate) e.getCertificate();
                Certificates.Info info = Certificates.parse(cert.getEncoded());
                if (!info.entityId().equals(java.util.Optional.of(entityId)) || info.keyUse().orElse(null) != use) {
                    throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "key store " + file + " holds keys of "
                            + info.entityId().map(Object::toString).orElse("no entity") + ", not of this hub " + entityId);
                }
                // BC key objects: Bouncy Castle signs and agrees fastest with its own
                privateKeys.put(use, kf.generatePrivate(new PKCS8EncodedKeySpec(e.getPrivateKey().getEncoded())));
                certificates.put(use, info.certificate());
            }
        } catch (GeneralSecurityException | ClassCastException e) {
            throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "cannot open key store " + file
                    + " (wrong secret or corrupt): " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            // the bytes are in memory: any failure to parse them means a corrupt store or a wrong secret
            throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "cannot open key store " + file
                    + " (wrong secret or corrupt): " + e, e);
        }
    }

    private static String alias(KeyUse use) {
        return use == KeyUse.DIGITAL_SIGNATURE ? SIG : KA;
    }

    /** Writes the store to a temporary file (mode 0600) and moves it into place atomically. */
    private synchronized void save() throws IOException {
        if (token != null) { // keys stay where they are; the certificates next to them are replaced
            try {
                for (KeyUse use : KeyUse.values()) {
                    tokenStore.setKeyEntry(alias(use), privateKeys.get(use), null,
                            new Certificate[] {certificates.get(use)});
                }
            } catch (GeneralSecurityException e) {
                throw new IOException("cannot store certificates on the PKCS#11 token", e);
            }
            return;
        }
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            for (KeyUse use : KeyUse.values()) {
                byte[] salt = new byte[16];
                random.nextBytes(salt);
                ks.setEntry(alias(use), new KeyStore.PrivateKeyEntry(privateKeys.get(use),
                        new Certificate[] {certificates.get(use)}),
                        new KeyStore.PasswordProtection(password, "PBEWithHmacSHA256AndAES_256",
                                new PBEParameterSpec(salt, PBE_ITERATIONS)));
            }
            Path tmp = file.resolveSibling(FILE + ".tmp");
            Files.deleteIfExists(tmp);
            if (Files.getFileAttributeView(file.getParent(), PosixFileAttributeView.class) != null) {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } else {
                Files.createFile(tmp);
            }
            try (OutputStream out = Files.newOutputStream(tmp)) {
                ks.store(out, password);
            }
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot write key store " + file, e);
        }
    }

    public X509Certificate certificate(KeyUse use) {
        return certificates.get(use);
    }

    public PublicKey publicKey(KeyUse use) {
        return certificates.get(use).getPublicKey();
    }

    /**
     * A JSSE key manager that presents {@code chain} and signs TLS handshakes with the digital-signature
     * key; the key stays inside the manager (see {@link HubTlsKeyManager}).
     */
    javax.net.ssl.X509ExtendedKeyManager tlsKeyManager(java.util.List<X509Certificate> chain) {
        return new HubTlsKeyManager(privateKeys.get(KeyUse.DIGITAL_SIGNATURE), chain);
    }

    /** Raw r ‖ s ECDSA P-256 / SHA-256 signature with the digital-signature key. */
    public byte[] sign(byte[] data) {
        if (token != null) {
            try {
                java.security.Signature s = java.security.Signature.getInstance(Certificates.SIGNATURE_ALGORITHM, token);
                s.initSign(privateKeys.get(KeyUse.DIGITAL_SIGNATURE));
                s.update(data);
                return Crypto.derToRaw(s.sign());
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("signing on the PKCS#11 token failed", e);
            }
        }
        return Crypto.sign(privateKeys.get(KeyUse.DIGITAL_SIGNATURE), data, nonces);
    }

    /** The ECDH shared secret Z between the hub's key-agreement key and {@code peer}. */
    public byte[] agree(PublicKey peer) throws SecurityCheckException {
        try {
            KeyAgreement ka = KeyAgreement.getInstance("ECDH", token != null ? token : Crypto.BC);
            ka.init(privateKeys.get(KeyUse.KEY_AGREEMENT));
            ka.doPhase(peer, true);
            return ka.generateSecret();
        } catch (GeneralSecurityException e) {
            throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "key agreement failed: " + e.getMessage(), e);
        }
    }

    /** A PKCS#10 request (DER) for the key of {@code use}: empty subject, the profile's extensions. */
    public byte[] csr(KeyUse use) {
        try {
            X509CertificateHolder self = new X509CertificateHolder(certificates.get(use).getEncoded());
            Extensions ext = new Extensions(new Extension[] {self.getExtension(Extension.subjectAlternativeName),
                self.getExtension(Extension.keyUsage), self.getExtension(Extension.subjectKeyIdentifier)});
            JcaPKCS10CertificationRequestBuilder b = new JcaPKCS10CertificationRequestBuilder(new X500Name(new RDN[0]),
                    publicKey(use));
            b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext);
            // proof of possession: the request is signed with the key it is for (also the
            // key-agreement key, which is never used to sign anything else)
            return b.build(new JcaContentSignerBuilder(Certificates.SIGNATURE_ALGORITHM)
                    .setProvider(token != null ? token : Crypto.BC).build(privateKeys.get(use))).getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException("cannot build CSR", e);
        }
    }

    /**
     * Replaces the certificate of one of the hub's keys with {@code cert}, which must be for that
     * key, of the device profile and this entity id; the caller validates its chain.
     */
    public synchronized void install(Certificates.Info cert) throws SecurityCheckException, IOException {
        KeyUse use = cert.keyUse().orElseThrow(() -> new SecurityCheckException(Reason.CERTIFICATE_INVALID,
                "not an end-entity certificate"));
        if (!cert.entityId().equals(java.util.Optional.of(entityId))) {
            throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "certificate is for "
                    + cert.entityId().map(Object::toString).orElse("no entity") + ", not this hub");
        }
        if (!Arrays.equals(cert.publicKey().getEncoded(), publicKey(use).getEncoded())) {
            throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "certificate is not for the hub's "
                    + use + " key");
        }
        if (cert.certificate().getSubjectX500Principal().getEncoded().length != 2) {
            throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "device certificate subject must be empty");
        }
        X509Certificate previous = certificates.put(use, cert.certificate());
        try {
            save();
        } catch (IOException e) {
            certificates.put(use, previous);
            throw e;
        }
    }
}
