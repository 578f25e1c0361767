package org.modhub.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.Hashtable;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
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
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.EventQuery;
import org.modhub.api.messaging.Envelope;
import org.modhub.api.messaging.EnvelopeCodec;
import org.modhub.api.messaging.MessageHandler;
import org.modhub.api.messaging.MessageType;
import org.modhub.api.messaging.Outbox;
import org.modhub.api.security.KeyUse;
import org.modhub.api.security.RemotePartyRole;
import org.modhub.api.security.SignedEnvelopeCodec;
import org.modhub.api.security.TrustStore;
import org.modhub.api.wan.HeadEndSession;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

/**
 * The PKI agent in the running hub: provisioned with a test PKI made here with Bouncy Castle (an
 * independent implementation of the certificate profile), it makes the router run a signed critical
 * command from a head-end session, refuse a forged one and an unsigned one before any handler sees
 * them, audit each refusal, and sign the response.
 */
@ExtendWith({BundleContextExtension.class, ServiceExtension.class})
class PkiTest {
    static final BouncyCastleProvider BC = new BouncyCastleProvider();
    static final String ARC = "2.25.59590875456898235114485103245840260385";
    static final Eui64 HUB = Eui64.parse("00-00-00-00-00-00-00-01");
    static final Eui64 SUPPLIER = Eui64.parse("90-B3-D5-1F-30-00-00-03");

    @InjectBundleContext
    BundleContext context;
    @InjectService(timeout = 30_000)
    ConfigurationAdmin configAdmin;
    @InjectService(timeout = 30_000)
    EventLog events;
    @InjectService(timeout = 30_000)
    Outbox outbox;

    static byte[] keyId(PublicKey key) throws Exception {
        byte[] spki = key.getEncoded();
        byte[] point = Arrays.copyOfRange(spki, spki.length - 65, spki.length);
        return Arrays.copyOf(MessageDigest.getInstance("SHA-256").digest(point), 8);
    }

    static X509Certificate issue(X500Name subject, X500Name issuer, PublicKey key, PrivateKey signer, PublicKey issuerKey,
            boolean ca, Eui64 entity, RemotePartyRole role) throws Exception {
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(System.nanoTime()),
                Date.from(Instant.now().minus(1, ChronoUnit.DAYS)), new Date(253402300799000L), subject, key);
        b.addExtension(Extension.subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyId(key)));
        b.addExtension(Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(keyId(issuerKey)));
        if (ca) {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            ASN1Encodable hw = new DERSequence(new ASN1Encodable[] {new ASN1ObjectIdentifier(ARC + ".2.1"),
                new DEROctetString(entity.octets())});
            b.addExtension(Extension.subjectAlternativeName, true, new GeneralNames(new GeneralName(
                    GeneralName.otherName, new OtherName(new ASN1ObjectIdentifier("1.3.6.1.5.5.7.8.4"), hw))));
            b.addExtension(Extension.certificatePolicies, false, new CertificatePolicies(new PolicyInformation(
                    new ASN1ObjectIdentifier(role.policyOid()))));
        }
        return new JcaX509CertificateConverter().setProvider(BC).getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").setProvider(BC).build(signer)));
    }

    static String pem(X509Certificate c) throws Exception {
        return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(c.getEncoded()) + "\n-----END CERTIFICATE-----\n";
    }

    static byte[] signed(Envelope e, PrivateKey key) throws Exception {
        byte[] bytes = EnvelopeCodec.encode(e);
        Signature s = Signature.getInstance("SHA256withPLAIN-ECDSA", BC);
        s.initSign(key);
        s.update(bytes);
        return SignedEnvelopeCodec.encode(bytes, s.sign());
    }

    static Envelope command(String id, long counter, int code) {
        return new Envelope(id, MessageType.COMMAND, SUPPLIER, counter, HUB, Instant.now().truncatedTo(ChronoUnit.MILLIS),
                code, new byte[] {1});
    }

    private long audits(String code) {
        return events.query(new EventQuery(Instant.EPOCH, Instant.MAX, Set.of(code), Optional.empty(), 1000)).size();
    }

    @Test
    void signedCriticalCommandsRunForgedAndUnsignedOnesAreRefusedFirst() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", BC);
        g.initialize(new ECGenParameterSpec("secp256r1"));
        // one PKI for the whole run (provisioning is accepted only while the agent has no anchor)
        ItestPki pki = ItestPki.get();
        KeyPair supplierKeys = pki.supplierKeys;
        X509Certificate root = pki.root;
        TrustStore[] holder = {pki.provision(configAdmin, context)};
        Configuration config = configAdmin.getConfiguration("org.modhub.pki", "?");
        TrustStore trust = holder[0];
        assertEquals(root, trust.anchors().get(0));
        assertTrue(trust.party(SUPPLIER).orElseThrow().roles().contains(RemotePartyRole.SUPPLIER));

        List<Envelope> handled = new CopyOnWriteArrayList<>();
        Hashtable<String, Object> hp = new Hashtable<>();
        hp.put(MessageHandler.MESSAGE_CODES, new Integer[] {0x0101});
        ServiceRegistration<MessageHandler> handler = context.registerService(MessageHandler.class, cmd -> {
            handled.add(cmd);
            CompletionStage<Envelope> r = CompletableFuture.completedFuture(cmd.respond("r-" + cmd.messageId(), HUB,
                    Instant.now(), "armed".getBytes(StandardCharsets.UTF_8)));
            return r;
        }, hp);
        List<HeadEndSession.InboundListener> listeners = new CopyOnWriteArrayList<>();
        List<byte[]> published = new CopyOnWriteArrayList<>();
        ServiceRegistration<HeadEndSession> session = context.registerService(HeadEndSession.class, new HeadEndSession() {
            public String technology() {
                return "itest-pki";
            }

            public boolean isConnected() {
                return false;
            }

            public int maxPayloadSize() {
                return 65_536;
            }

            public CompletionStage<Instant> publish(String topic, byte[] payload, int qos) {
                published.add(payload);
                return new CompletableFuture<>();
            }

            public Subscription subscribe(String filter, int qos, InboundListener listener) {
                listeners.add(listener);
                return () -> listeners.remove(listener);
            }
        }, null);
        try {
            Await.until("router subscribed", () -> !listeners.isEmpty());
            long counter = Instant.now().toEpochMilli();
            long badSignatures = audits("SECURITY_BAD_SIGNATURE");
            long replays = audits("SECURITY_REPLAYED_COUNTER");
            long malformed = audits("SECURITY_MALFORMED");
            long pending = outbox.stats().pending();

            // forged: signed with a key that is not the supplier's
            listeners.get(0).received("hub/command", signed(command("forged", counter + 1, 0x0101), g.generateKeyPair()
                    .getPrivate()));
            // unsigned
            listeners.get(0).received("hub/command", EnvelopeCodec.encode(command("unsigned", counter + 2, 0x0101)));
            assertTrue(handled.isEmpty(), "a refused command reached its handler");
            // audit events may be written after the refusal returns: wait for them
            Await.until("one SECURITY_BAD_SIGNATURE audit event",
                    () -> audits("SECURITY_BAD_SIGNATURE") == badSignatures + 1);
            Await.until("one SECURITY_MALFORMED audit event", () -> audits("SECURITY_MALFORMED") == malformed + 1);
            Await.never("a second audit event", java.time.Duration.ofMillis(300),
                    () -> audits("SECURITY_BAD_SIGNATURE") > badSignatures + 1
                            || audits("SECURITY_MALFORMED") > malformed + 1);
            // each refusal queued a security alert for the head end (no session is connected: they wait)
            Await.until("security alerts queued", () -> outbox.stats().pending() >= pending + 2);

            // signed by the supplier: runs (its counter is below the refused ones: they consumed nothing)
            listeners.get(0).received("hub/command", signed(command("good", counter, 0x0101), supplierKeys.getPrivate()));
            Await.until("handled", () -> !handled.isEmpty());
            assertEquals("good", handled.get(0).messageId());
            // and a replay of it is refused (commands are processed asynchronously: wait for the refusal)
            listeners.get(0).received("hub/command", signed(command("good", counter, 0x0101), supplierKeys.getPrivate()));
            Await.until("one SECURITY_REPLAYED_COUNTER audit event", () -> audits("SECURITY_REPLAYED_COUNTER") == replays + 1);
            assertEquals(1, handled.size());
            assertFalse(trust.hubCertificate(KeyUse.DIGITAL_SIGNATURE) == null);
        } finally {
            session.unregister();
            handler.unregister();
            config.delete();
        }
    }
}
