package org.modhub.api.security;

import java.io.IOException;
import java.io.InputStream;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Verifies OTA packages: an ECDSA P-256 signature (raw r ‖ s, SHA-256) over a {@link PackageManifest}
 * by a certificate carrying the {@link RemotePartyRole#MANUFACTURER} role, then each file against
 * its SHA-256 in the manifest.
 */
@ProviderType
public interface PackageVerifier {
    /**
     * @param manifest the manifest bytes as signed
     * @param signature 64-byte r ‖ s over them
     * @return the parsed manifest, only if the signature verifies under a valid Manufacturer certificate
     */
    PackageManifest verifyManifest(byte[] manifest, byte[] signature) throws SecurityCheckException;

    /**
     * Reads {@code content} to the end and checks it against the digest the verified manifest lists for
     * {@code name}.
     */
    void verifyFile(PackageManifest manifest, String name, InputStream content)
            throws SecurityCheckException, IOException;
}
