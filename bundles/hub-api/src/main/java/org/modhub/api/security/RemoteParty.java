package org.modhub.api.security;

import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.modhub.api.common.Eui64;

/**
 * A remote party the hub knows.
 *
 * @param entityId its entity id (from its certificates' HardwareModuleName)
 * @param roles the roles its signing certificate carries
 * @param signingCertificate its digital-signature certificate, if installed
 * @param keyAgreementCertificate its key-agreement certificate, if installed
 * @param whitelisted whether it may currently talk to the hub
 */
public record RemoteParty(Eui64 entityId, Set<RemotePartyRole> roles, Optional<X509Certificate> signingCertificate,
        Optional<X509Certificate> keyAgreementCertificate, boolean whitelisted) {
    public RemoteParty {
        Objects.requireNonNull(entityId, "entityId");
        roles = roles == null ? Set.of() : Set.copyOf(roles);
        signingCertificate = signingCertificate == null ? Optional.empty() : signingCertificate;
        keyAgreementCertificate = keyAgreementCertificate == null ? Optional.empty() : keyAgreementCertificate;
    }
}
