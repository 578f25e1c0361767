package org.modhub.api.security;

import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.modhub.api.common.Eui64;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The hub's identity for TLS client authentication (e.g. the head-end MQTT session to a broker that
 * requires client certificates): a certificate chain issued for the hub's digital-signature key, and
 * TLS contexts that authenticate with it. The private key never leaves the provider's key store through
 * this service: a caller gets an {@link SSLContext} whose key manager the provider built, and JSSE
 * signs the handshake with the key inside it; no method returns the key or its encoding.
 *
 * @since 1.1
 */
@ProviderType
public interface TlsIdentity {
    /** The hub's entity id. */
    Eui64 entityId();

    /** The client certificate chain presented in the handshake, the hub's certificate first. */
    List<X509Certificate> certificateChain();

    /**
     * A new TLS client context ({@code TLS}, the JDK's protocol defaults: TLS 1.3 and 1.2) that presents
     * {@link #certificateChain()} when the server asks for a client certificate and trusts exactly the
     * given anchors for the server's certificate.
     *
     * @param trustAnchors CA certificates that may issue the server's certificate; not empty
     * @throws GeneralSecurityException if the context cannot be built
     * @throws IllegalArgumentException if no anchor is given
     */
    SSLContext clientContext(List<X509Certificate> trustAnchors) throws GeneralSecurityException;
}
