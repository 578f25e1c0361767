package org.modhub.pki.internal;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.modhub.api.common.Eui64;
import org.modhub.api.messaging.Envelope;
import org.modhub.api.messaging.EnvelopeCodec;
import org.modhub.api.messaging.MessageType;
import org.modhub.api.security.KeyUse;
import org.modhub.api.security.RemotePartyRole;
import org.modhub.api.security.SignedEnvelopeCodec;

/**
 * A test PKI made with Bouncy Castle at test time: a root, an issuing authority under it, one
 * organisation per remote-party role (signing and key-agreement certificates), and helpers to sign
 * commands as any of them.
 */
final class TestPki {
    static final SecureRandom RANDOM = new SecureRandom();
    private static final AtomicLong SERIAL = new AtomicLong(1000);

    /** A party: its id, keys and certificates. */
    record Party(Eui64 id, KeyPair signing, X509Certificate signingCert, KeyPair agreement, X509Certificate agreementCert) {
        byte[] sign(byte[] data) {
            return Crypto.sign(signing.getPrivate(), data, RANDOM);
        }
    }

    final KeyPair rootKeys = Crypto.generateP256(RANDOM);
    final X509Certificate root;
    final KeyPair caKeys = Crypto.generateP256(RANDOM);
    final X509Certificate issuingCa;
    final Map<RemotePartyRole, Party> parties = new EnumMap<>(RemotePartyRole.class);

    TestPki() {
        this(0x90B3D51F30000000L);
    }

    /** A PKI whose parties' ids start above {@code idBase}. */
    TestPki(long idBase) {
        root = ca("CN=Test Root", rootKeys, null, null);
        issuingCa = ca("CN=Test Org CA", caKeys, root, rootKeys);
        int i = 1;
        for (RemotePartyRole role : RemotePartyRole.values()) {
            if (role == RemotePartyRole.ROOT || role == RemotePartyRole.ISSUING_AUTHORITY) {
                continue;
            }
            parties.put(role, party(Eui64.of(idBase + i++), Set.of(role), validFrom(), Certificates.NO_EXPIRY,
                    role.ordinal() % 2 == 0));
        }
    }

    static Date validFrom() {
        return Date.from(Instant.now().minus(365, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS));
    }

    static X509Certificate ca(String name, KeyPair keys, X509Certificate issuer, KeyPair issuerKeys) {
        Certificates.Spec spec = new Certificates.Spec(new X500Name(name), null, null, true, Set.of(), validFrom(),
                Certificates.NO_EXPIRY, BigInteger.valueOf(SERIAL.incrementAndGet()));
        return Certificates.issue(spec, keys.getPublic(), issuer, issuer == null ? keys.getPrivate()
                : issuerKeys.getPrivate());
    }

    /** An organisation with both certificates, issued by the root directly or by the issuing CA. */
    Party party(Eui64 id, Set<RemotePartyRole> roles, Date from, Date to, boolean viaIssuingCa) {
        KeyPair sig = Crypto.generateP256(RANDOM);
        KeyPair ka = Crypto.generateP256(RANDOM);
        X509Certificate issuer = viaIssuingCa ? issuingCa : root;
        KeyPair issuerKeys = viaIssuingCa ? caKeys : rootKeys;
        X500Name subject = new X500Name("O=Org " + id.toHex());
        X509Certificate sc = Certificates.issue(new Certificates.Spec(subject, id, KeyUse.DIGITAL_SIGNATURE, false, roles,
                from, to, BigInteger.valueOf(SERIAL.incrementAndGet())), sig.getPublic(), issuer, issuerKeys.getPrivate());
        X509Certificate kc = Certificates.issue(new Certificates.Spec(subject, id, KeyUse.KEY_AGREEMENT, false, roles,
                from, to, BigInteger.valueOf(SERIAL.incrementAndGet())), ka.getPublic(), issuer, issuerKeys.getPrivate());
        return new Party(id, sig, sc, ka, kc);
    }

    Party role(RemotePartyRole r) {
        return parties.get(r);
    }

    /** Writes the root to one PEM file and the issuing CA and all parties' certificates to another. */
    Path[] writePem(Path dir) throws Exception {
        Path anchors = dir.resolve("anchors.pem");
        Path partyFile = dir.resolve("parties.pem");
        Files.writeString(anchors, pem(root));
        StringBuilder sb = new StringBuilder(pem(issuingCa));
        for (Party p : parties.values()) {
            sb.append(pem(p.signingCert())).append(pem(p.agreementCert()));
        }
        Files.writeString(partyFile, sb.toString());
        return new Path[] {anchors, partyFile};
    }

    static String pem(X509Certificate c) {
        try {
            return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                    .encodeToString(c.getEncoded()) + "\n-----END CERTIFICATE-----\n";
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Envelope command(Eui64 from, long counter, Eui64 to, int code, byte[] payload) {
        return new Envelope("cmd-" + counter, MessageType.COMMAND, from, counter, to, Instant.now().truncatedTo(ChronoUnit.MILLIS), code, payload);
    }

    /** The signed wire form of {@code e}, signed by {@code by}. */
    static byte[] signed(Envelope e, Party by) {
        byte[] bytes = EnvelopeCodec.encode(e);
        return SignedEnvelopeCodec.encode(bytes, by.sign(bytes));
    }

    static void writeSecret(Path file) throws IOException {
        Files.writeString(file, "test-secret-0123456789abcdef");
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    }

    static List<byte[]> ders(X509Certificate... certs) throws Exception {
        List<byte[]> out = new java.util.ArrayList<>();
        for (X509Certificate c : certs) {
            out.add(c.getEncoded());
        }
        return out;
    }
}
