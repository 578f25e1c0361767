package org.modhub.api.security;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import org.modhub.api.common.Eui64;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Read-only view of what the hub trusts and who it is. Changes (anchor replacement, installing
 * party certificates, whitelisting, revocation) happen only through signed commands.
 */
@ProviderType
public interface TrustStore {
    /** The hub's entity id. */
    Eui64 hubId();

    /** The hub's certificate for a key use (self-signed until a certificate is installed). */
    X509Certificate hubCertificate(KeyUse use);

    /** A PKCS#10 certificate signing request (DER) for the hub's key of that use. */
    byte[] certificateSigningRequest(KeyUse use);

    /** The current trust anchors (root certificates). */
    List<X509Certificate> anchors();

    /** Every known remote party. */
    List<RemoteParty> parties();

    Optional<RemoteParty> party(Eui64 entityId);
}
