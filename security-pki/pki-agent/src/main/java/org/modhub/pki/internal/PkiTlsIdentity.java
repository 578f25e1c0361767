package org.modhub.pki.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.modhub.api.common.Eui64;
import org.modhub.api.security.KeyUse;
import org.modhub.api.security.TlsIdentity;
import org.modhub.api.security.TrustStore;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The hub's TLS client identity ({@link TlsIdentity}) from the PKI agent's key store: the
 * digital-signature key with either a configured certificate chain issued for it (e.g. by the head-end
 * operator's TLS CA from {@code TrustStore.certificateSigningRequest(DIGITAL_SIGNATURE)}) or, without
 * one, the hub's own certificate for that key (installed by trust command, else self-signed). Appears
 * once the agent has opened its key store (it follows the agent's {@link TrustStore} service).
 */
@Component(configurationPid = PkiTlsIdentity.PID, service = TlsIdentity.class)
@Designate(ocd = PkiTlsIdentity.Config.class)
public final class PkiTlsIdentity implements TlsIdentity {
    static final String PID = "org.modhub.pki.tls";

    @ObjectClassDefinition(id = PID, name = "modhub TLS client identity",
            description = "The hub's certificate chain for TLS client authentication with its digital-signature key.")
    public @interface Config {
        @AttributeDefinition(description = "PEM file with the certificate chain for the hub's digital-signature key, "
                + "the hub's certificate first. Empty: the hub's own certificate for that key.")
        String certificateChain() default "";
    }

    private final Logger log;
    private final String chainFile;
    /**
     * The key store, once the agent has opened it (off the framework's start path): until then this
     * identity refuses to build a context and the session retries with its backoff. A mandatory
     * reference would leave this component unsatisfied, and the hub not READY, for as long as the key
     * store takes to open.
     */
    private volatile Opened opened;

    private record Opened(HubKeys keys, List<X509Certificate> configured) {
    }

    @Activate
    public PkiTlsIdentity(@Reference(service = LoggerFactory.class) Logger log, Config config) {
        this.log = log;
        this.chainFile = config.certificateChain().trim();
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unsetTrust")
    void setTrust(TrustStore trust) {
        if (!(trust instanceof PkiAgent agent)) {
            // another bundle's trust store: this identity only works on this bundle's key store
            log.error("configuration {}: the TrustStore is not this bundle's PKI agent; no TLS identity", PID);
            return;
        }
        HubKeys keys = agent.keys();
        try {
            opened = new Opened(keys, chainFile.isEmpty() ? List.of() : load(Path.of(chainFile), keys));
        } catch (IllegalArgumentException e) {
            log.error("configuration {}: field 'certificateChain': {}", PID, e.getMessage());
        }
    }

    void unsetTrust(TrustStore trust) {
        opened = null;
    }

    private Opened opened() {
        Opened o = opened;
        if (o == null) {
            throw new IllegalStateException("the hub's key store is not open yet (or its certificate chain was refused)");
        }
        return o;
    }

    /** Reads the chain and checks that its first certificate is for the hub's digital-signature key. */
    static List<X509Certificate> load(Path pem, HubKeys keys) {
        List<X509Certificate> chain = new ArrayList<>();
        try (InputStream in = Files.newInputStream(pem)) {
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                chain.add((X509Certificate) c);
            }
        } catch (IOException | CertificateException e) {
            throw new IllegalArgumentException("cannot read certificates from " + pem + ": " + e.getMessage(), e);
        }
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("no certificate in " + pem);
        }
        if (!Arrays.equals(chain.get(0).getPublicKey().getEncoded(),
                keys.publicKey(KeyUse.DIGITAL_SIGNATURE).getEncoded())) {
            throw new IllegalArgumentException("the first certificate in " + pem
                    + " is not for the hub's digital-signature key");
        }
        return List.copyOf(chain);
    }

    @Override
    public Eui64 entityId() {
        return opened().keys().entityId();
    }

    @Override
    public List<X509Certificate> certificateChain() {
        Opened o = opened();
        return o.configured().isEmpty() ? List.of(o.keys().certificate(KeyUse.DIGITAL_SIGNATURE)) : o.configured();
    }

    @Override
    public SSLContext clientContext(List<X509Certificate> trustAnchors) throws GeneralSecurityException {
        if (trustAnchors == null || trustAnchors.isEmpty()) {
            throw new IllegalArgumentException("no trust anchor for the server's certificate");
        }
        if (opened == null) {
            throw new GeneralSecurityException("the hub's key store is not open yet (or its certificate chain was refused)");
        }
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        try {
            anchors.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException(e);
        }
        int i = 0;
        for (X509Certificate a : trustAnchors) {
            anchors.setCertificateEntry("anchor-" + i++, a);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(anchors);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(new KeyManager[] {opened().keys().tlsKeyManager(certificateChain())}, tmf.getTrustManagers(), null);
        return ctx;
    }
}
