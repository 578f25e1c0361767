package org.modhub.wanitest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.Hashtable;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modhub.api.cloud.KuraDataCodec;
import org.modhub.api.messaging.OutboundMessage;
import org.modhub.api.messaging.Outbox;
import org.modhub.api.security.KeyUse;
import org.modhub.api.security.TlsIdentity;
import org.modhub.api.security.TrustStore;
import org.modhub.api.wan.HeadEndSession;
import org.modhub.api.wan.LinkProperties;
import org.modhub.api.wan.LinkState;
import org.modhub.api.wan.LinkStatus;
import org.modhub.api.wan.WanLink;
import org.modhub.testing.mosquitto.Mosquitto;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

/**
 * The Kura session authenticates to a Mosquitto that requires client certificates
 * ({@code require_certificate true}) with the hub's own identity from the PKI agent: the CA (made here
 * at test time with Bouncy Castle, nothing committed) issues a TLS client certificate from the agent's
 * PKCS#10 request for its digital-signature key; the agent's {@link TlsIdentity} presents it while the
 * key stays in the agent's key store. With only the agent's self-signed certificate the broker refuses
 * the session.
 */
@ExtendWith({BundleContextExtension.class, ServiceExtension.class})
class TlsHeadEndTest {
    static final String KURA_PID = "org.modhub.headend.kura";
    static final String TLS_PID = "org.modhub.pki.tls";
    static final String ACCOUNT = "tls";
    static final String CLIENT = "tlshub";
    static final BouncyCastleProvider BC = new BouncyCastleProvider();

    @InjectBundleContext
    BundleContext context;
    @InjectService(timeout = 30_000)
    Outbox outbox;
    @InjectService(timeout = 30_000)
    ConfigurationAdmin cm;
    @InjectService(timeout = 60_000)
    TrustStore trust;

    private Path dir;
    private Mosquitto broker;
    private MqttClient headEnd;
    private final Set<String> received = ConcurrentHashMap.newKeySet();
    private final List<Configuration> configurations = new ArrayList<>();
    private ServiceRegistration<WanLink> link;
    private KeyPair caKeys;
    private X509Certificate ca;
    private KeyStore caStore;

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("modhub-tls-itest");
        caKeys = ecKeys();
        ca = certificate(new X500Name("CN=modhub test CA"), caKeys.getPublic(), caKeys.getPrivate(),
                new X500Name("CN=modhub test CA"), true, null);
        KeyPair serverKeys = ecKeys();
        X509Certificate server = certificate(new X500Name("CN=127.0.0.1"), serverKeys.getPublic(), caKeys.getPrivate(),
                new X500Name("CN=modhub test CA"), false, KeyPurposeId.id_kp_serverAuth);
        broker = new Mosquitto().tls(pem(ca), pem(server), pem(serverKeys.getPrivate()), true).start();
        caStore = KeyStore.getInstance("PKCS12");
        caStore.load(null, null);
        caStore.setCertificateEntry("ca", ca);

        // the head end: its own client certificate from the same CA
        KeyPair headEndKeys = ecKeys();
        X509Certificate headEndCert = certificate(new X500Name("CN=head end"), headEndKeys.getPublic(),
                caKeys.getPrivate(), new X500Name("CN=modhub test CA"), false, KeyPurposeId.id_kp_clientAuth);
        headEnd = new MqttClient(broker.uri(), "tls-headend", new MemoryPersistence());
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(true);
        o.setSocketFactory(context(headEndKeys.getPrivate(), headEndCert, caStore).getSocketFactory());
        headEnd.connect(o);
        headEnd.subscribe(ACCOUNT + "/" + CLIENT + "/#", 1,
                (topic, m) -> received.add(KuraDataCodec.decode(m.getPayload()).messageId()));

        // an IP link that is UP, for the Kura session to run over
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(WanLink.TECHNOLOGY, "tls-ip");
        props.put(WanLink.STATE, LinkState.UP.name());
        link = context.registerService(WanLink.class, new WanLink() {
            @Override
            public String technology() {
                return "tls-ip";
            }

            @Override
            public LinkStatus status() {
                return LinkStatus.of(LinkState.UP, "test");
            }

            @Override
            public LinkProperties properties() {
                return new LinkProperties(1500, 1_000_000, false, OptionalInt.empty());
            }
        }, props);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Configuration c : configurations) {
            try {
                c.delete();
            } catch (IllegalStateException | IOException e) {
                // gone
            }
        }
        if (link != null) {
            link.unregister();
        }
        if (headEnd != null && headEnd.isConnected()) {
            headEnd.disconnect();
        }
        if (headEnd != null) {
            headEnd.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    static KeyPair ecKeys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
        return g.generateKeyPair();
    }

    static X509Certificate certificate(X500Name subject, PublicKey key, PrivateKey issuerKey, X500Name issuer,
            boolean isCa, KeyPurposeId purpose) throws Exception {
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, new SecureRandom()),
                Date.from(now.minusSeconds(3600)), Date.from(now.plus(Duration.ofDays(2))), subject, key);
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
        if (isCa) {
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
            if (purpose == KeyPurposeId.id_kp_serverAuth) {
                b.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
            }
        }
        ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").setProvider(BC).build(issuerKey);
        return new JcaX509CertificateConverter().setProvider(BC).getCertificate(b.build(signer));
    }

    static String pem(Object o) throws IOException {
        if (o instanceof PrivateKey k) {
            // PKCS#8 (OpenSSL 3 refuses the JDK key's encoding under an "EC PRIVATE KEY" label)
            return "-----BEGIN PRIVATE KEY-----\n"
                    + java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(k.getEncoded())
                    + "\n-----END PRIVATE KEY-----\n";
        }
        StringWriter w = new StringWriter();
        try (JcaPEMWriter p = new JcaPEMWriter(w)) {
            p.writeObject(o);
        }
        return w.toString();
    }

    /** A client context with its own key and certificate, trusting only {@code anchors}. */
    static SSLContext context(PrivateKey key, X509Certificate cert, KeyStore anchors) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("me", key, "x".toCharArray(), new X509Certificate[] {cert});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "x".toCharArray());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(anchors);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    private Configuration configure(String pid, Hashtable<String, Object> props) throws IOException {
        Configuration c = cm.getConfiguration(pid, "?");
        c.update(props);
        if (!configurations.contains(c)) {
            configurations.add(c);
        }
        return c;
    }

    private boolean kuraConnected() {
        try {
            for (ServiceReference<HeadEndSession> r : context.getServiceReferences(HeadEndSession.class,
                    "(headend.protocol=kura-mqtt)")) {
                HeadEndSession s = context.getService(r);
                try {
                    if (s != null && s.isConnected()) {
                        return true;
                    }
                } finally {
                    context.ungetService(r);
                }
            }
            return false;
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theKuraSessionAuthenticatesWithTheHubsKeyFromThePkiAgent() throws Exception {
        Path trustStore = dir.resolve("broker-ca.p12");
        try (OutputStream out = Files.newOutputStream(trustStore)) {
            caStore.store(out, "changeit".toCharArray());
        }

        Hashtable<String, Object> kura = new Hashtable<>();
        kura.put("brokerUri", broker.uri());
        kura.put("accountName", ACCOUNT);
        kura.put("clientId", CLIENT);
        kura.put("backoffMinMs", 200);
        kura.put("backoffMaxMs", 1_000);
        kura.put("trustStorePath", trustStore.toString());
        kura.put(".trustStorePassword", "changeit");
        kura.put("useHubIdentity", true);
        configure(KURA_PID, kura);

        // 1. the agent's identity with only its self-signed certificate: the broker refuses the session
        LiveWanSwapTest.await("the PKI agent's TLS identity", Duration.ofSeconds(60),
                () -> context.getServiceReference(TlsIdentity.class) != null, () -> "");
        long end = System.nanoTime() + Duration.ofSeconds(4).toNanos();
        while (System.nanoTime() < end) {
            assertTrue(!kuraConnected(), "connected with a self-signed client certificate");
            Thread.sleep(50);
        }

        // 2. the CA issues the hub's TLS certificate from the agent's request for its signing key
        PKCS10CertificationRequest csr = new JcaPKCS10CertificationRequest(
                trust.certificateSigningRequest(KeyUse.DIGITAL_SIGNATURE));
        PublicKey hubKey = new JcaPKCS10CertificationRequest(csr.getEncoded()).setProvider(BC).getPublicKey();
        X509Certificate hubCert = certificate(new X500Name("CN=" + trust.hubId().toString()), hubKey,
                caKeys.getPrivate(), new X500Name("CN=modhub test CA"), false, KeyPurposeId.id_kp_clientAuth);
        Path chain = dir.resolve("hub-tls-chain.pem");
        Files.writeString(chain, pem(hubCert) + pem(ca), StandardCharsets.US_ASCII);
        Hashtable<String, Object> tls = new Hashtable<>();
        tls.put("certificateChain", chain.toString());
        configure(TLS_PID, tls);

        LiveWanSwapTest.await("the Kura session connected over TLS with the hub's certificate", Duration.ofSeconds(60),
                this::kuraConnected, () -> broker.log());
        ServiceReference<TlsIdentity> ref = context.getServiceReference(TlsIdentity.class);
        TlsIdentity identity = context.getService(ref);
        try {
            assertEquals(hubCert, identity.certificateChain().get(0));
        } finally {
            context.ungetService(ref);
        }
        String id = "tls-" + System.nanoTime();
        outbox.enqueue(new OutboundMessage(id, "meter/readings", OutboundMessage.PRIORITY_NORMAL, 1, Instant.now(),
                "over TLS".getBytes(StandardCharsets.UTF_8)));
        LiveWanSwapTest.await("the message at the head end", Duration.ofSeconds(60), () -> received.contains(id),
                () -> "outbox " + outbox.stats());
    }
}
