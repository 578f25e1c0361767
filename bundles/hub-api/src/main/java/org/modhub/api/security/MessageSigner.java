package org.modhub.api.security;

import java.security.cert.X509Certificate;
import org.modhub.api.common.Eui64;
import org.modhub.api.messaging.Envelope;
import org.osgi.annotation.versioning.ProviderType;

/** Signs the hub's own responses and alerts with the hub's digital-signature key. */
@ProviderType
public interface MessageSigner {
    /**
     * @param message a response or alert whose originator is this hub
     * @return its {@link SignedEnvelopeCodec signed wire form}
     * @throws IllegalArgumentException if the message is a command or not from this hub
     */
    byte[] sign(Envelope message);

    /** The hub's entity id. */
    Eui64 entityId();

    /** The certificate of the key that signs, with which a head end verifies. */
    X509Certificate signingCertificate();
}
