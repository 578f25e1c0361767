package org.modhub.pki.internal;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;
import org.modhub.api.security.KeyUse;
import org.modhub.api.security.PackageManifest;
import org.modhub.api.security.PackageVerifier;
import org.modhub.api.security.RemotePartyRole;
import org.modhub.api.security.SecurityCheckException;
import org.modhub.api.security.SecurityCheckException.Reason;

/** {@link PackageVerifier}: manifest signature under a valid Manufacturer certificate, then per-file SHA-256. */
public final class Packages implements PackageVerifier {
    private final TrustState trust;
    private final SecurityEvents events;
    private final Supplier<Instant> clock;

    public Packages(TrustState trust, SecurityEvents events, Supplier<Instant> clock) {
        this.trust = trust;
        this.events = events;
        this.clock = clock;
    }

    @Override
    public PackageManifest verifyManifest(byte[] manifest, byte[] signature) throws SecurityCheckException {
        PackageManifest parsed = null;
        try {
            try {
                parsed = PackageManifest.parse(manifest);
            } catch (IllegalArgumentException e) {
                throw new SecurityCheckException(Reason.MALFORMED, "manifest: " + e.getMessage(), e);
            }
            Optional<Certificates.Info> cert = trust.certificate(parsed.signer(), KeyUse.DIGITAL_SIGNATURE);
            if (cert.isEmpty()) {
                throw new SecurityCheckException(Reason.UNKNOWN_ORIGINATOR, parsed.signer() + " has no signing certificate");
            }
            if (!trust.whitelisted(parsed.signer())) {
                throw new SecurityCheckException(Reason.NOT_WHITELISTED, parsed.signer() + " is not whitelisted");
            }
            trust.validate(cert.get(), clock.get());
            if (!cert.get().roles().contains(RemotePartyRole.MANUFACTURER)) {
                throw new SecurityCheckException(Reason.ROLE_NOT_PERMITTED, parsed.signer()
                        + " does not hold the Manufacturer role");
            }
            if (!Crypto.verify(cert.get().publicKey(), manifest, signature)) {
                throw new SecurityCheckException(Reason.BAD_SIGNATURE, "manifest signature does not verify");
            }
            return parsed;
        } catch (SecurityCheckException e) {
            events.refused("package manifest", e, parsed == null ? null : parsed.signer());
            throw e;
        }
    }

    @Override
    public void verifyFile(PackageManifest manifest, String name, InputStream content)
            throws SecurityCheckException, IOException {
        byte[] expected = manifest.digest(name);
        try {
            if (expected == null) {
                throw new SecurityCheckException(Reason.DIGEST_MISMATCH, "file " + name + " is not in the manifest");
            }
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[16_384];
            for (int n; (n = content.read(buf)) > 0;) {
                d.update(buf, 0, n);
            }
            if (!MessageDigest.isEqual(expected, d.digest())) {
                throw new SecurityCheckException(Reason.DIGEST_MISMATCH, "SHA-256 of " + name
                        + " differs from the manifest");
            }
        } catch (SecurityCheckException e) {
            events.refused("package file", e, manifest.signer());
            throw e;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
