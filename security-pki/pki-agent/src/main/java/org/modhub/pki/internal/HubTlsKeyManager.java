package org.modhub.pki.internal;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A client-side JSSE key manager with exactly one identity: the hub's digital-signature key (EC P-256)
 * and the certificate chain issued for it. It lives inside the {@link javax.net.ssl.SSLContext} that
 * {@link PkiTlsIdentity} hands out, so callers of the service never see the key; only JSSE asks it for
 * the key, to sign the handshake. It offers nothing as a server.
 */
final class HubTlsKeyManager extends X509ExtendedKeyManager {
    static final String ALIAS = "modhub-hub";

    private final PrivateKey key;
    private final X509Certificate[] chain;

    HubTlsKeyManager(PrivateKey key, List<X509Certificate> chain) {
        this.key = Objects.requireNonNull(key, "key");
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("empty certificate chain");
        }
        this.chain = chain.toArray(X509Certificate[]::new);
    }

    private static boolean ec(String[] keyTypes) {
        if (keyTypes == null) {
            return false;
        }
        for (String t : keyTypes) {
            // TLS 1.2 asks by key type ("EC", "EC_EC"); TLS 1.3 by signature-scheme key type ("EC")
            if (t != null && (t.equals("EC") || t.startsWith("EC_") || t.equals("ECDSA"))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return ec(new String[] {keyType}) ? new String[] {ALIAS} : null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return ec(keyType) ? ALIAS : null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return ec(keyType) ? ALIAS : null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return ALIAS.equals(alias) ? chain.clone() : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return ALIAS.equals(alias) ? key : null;
    }
}
