package org.modhub.itest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.Hashtable;
import org.bouncycastle.asn1.x500.X500Name;
import org.modhub.api.common.Eui64;
import org.modhub.api.security.RemotePartyRole;
import org.modhub.api.security.TrustStore;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * One test PKI for the whole in-framework run (the PKI agent accepts provisioning only while it has no
 * anchor, and every test shares one framework): a root and a Supplier, a Manufacturer and a Recovery
 * party, made once with Bouncy Castle and provisioned by whichever test needs them first.
 */
final class ItestPki {
    static final Eui64 SUPPLIER = PkiTest.SUPPLIER;
    static final Eui64 MANUFACTURER = Eui64.parse("90-B3-D5-1F-30-00-00-09");
    static final Eui64 RECOVERY = Eui64.parse("90-B3-D5-1F-30-00-00-02");

    final KeyPair rootKeys;
    final KeyPair supplierKeys;
    final KeyPair manufacturerKeys;
    final KeyPair recoveryKeys;
    final X509Certificate root;
    final X509Certificate supplier;
    final X509Certificate manufacturer;
    final X509Certificate recovery;

    private static ItestPki instance;

    private ItestPki() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", PkiTest.BC);
        g.initialize(new ECGenParameterSpec("secp256r1"));
        rootKeys = g.generateKeyPair();
        supplierKeys = g.generateKeyPair();
        manufacturerKeys = g.generateKeyPair();
        recoveryKeys = g.generateKeyPair();
        X500Name rootName = new X500Name("CN=itest root");
        root = PkiTest.issue(rootName, rootName, rootKeys.getPublic(), rootKeys.getPrivate(), rootKeys.getPublic(), true,
                null, null);
        supplier = party("O=itest supplier", supplierKeys, SUPPLIER, RemotePartyRole.SUPPLIER, rootName);
        manufacturer = party("O=itest manufacturer", manufacturerKeys, MANUFACTURER, RemotePartyRole.MANUFACTURER, rootName);
        recovery = party("O=itest recovery", recoveryKeys, RECOVERY, RemotePartyRole.RECOVERY, rootName);
    }

    private X509Certificate party(String name, KeyPair keys, Eui64 id, RemotePartyRole role, X500Name rootName)
            throws Exception {
        return PkiTest.issue(new X500Name(name), rootName, keys.getPublic(), rootKeys.getPrivate(), rootKeys.getPublic(),
                false, id, role);
    }

    static synchronized ItestPki get() throws Exception {
        if (instance == null) {
            instance = new ItestPki();
        }
        return instance;
    }

    /** Provisions the agent (once) and returns its trust store with every party present. */
    synchronized TrustStore provision(ConfigurationAdmin configAdmin, BundleContext context) throws Exception {
        TrustStore t = trustStore(context);
        if (t == null || t.party(MANUFACTURER).isEmpty()) {
            Path dir = Files.createTempDirectory("pki-itest");
            Files.writeString(dir.resolve("anchors.pem"), PkiTest.pem(root));
            Files.writeString(dir.resolve("parties.pem"), PkiTest.pem(supplier) + PkiTest.pem(manufacturer)
                    + PkiTest.pem(recovery));
            Configuration config = configAdmin.getConfiguration("org.modhub.pki", "?");
            Hashtable<String, Object> props = new Hashtable<>();
            props.put("provisionAnchors", dir.resolve("anchors.pem").toString());
            props.put("provisionParties", dir.resolve("parties.pem").toString());
            config.update(props);
        }
        TrustStore[] holder = new TrustStore[1];
        Await.until("trust store with the provisioned anchor and parties", () -> {
            TrustStore s = trustStore(context);
            holder[0] = s;
            return s != null && !s.anchors().isEmpty() && s.party(SUPPLIER).isPresent() && s.party(MANUFACTURER).isPresent()
                    && s.party(RECOVERY).isPresent();
        });
        return holder[0];
    }

    private static TrustStore trustStore(BundleContext context) {
        var ref = context.getServiceReference(TrustStore.class);
        return ref == null ? null : context.getService(ref);
    }
}
