package org.modhub.api.security;

import java.util.Set;
import org.modhub.api.messaging.Envelope;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Verifies signed head-end commands before anything else looks at them. A command passes only if,
 * in this order: it is a well-formed {@link SignedEnvelopeCodec signed message} no longer than the
 * configured maximum; it is a command addressed to this hub; its originator is a known,
 * whitelisted remote party whose signing certificate chains to a current trust anchor and is
 * neither expired, not yet valid nor revoked; that certificate's role may issue the message code;
 * the signature verifies; the date-time lies within the validity window; the payload values are in
 * range for the message code; and the originator counter is strictly above the last one accepted
 * from that originator. Only then is the counter persisted (the one state change); any refusal
 * leaves no state changed and is written to the audit log as a security event.
 */
@ProviderType
public interface CommandVerifier {
    /**
     * @param signedCommand the signed wire form of a command
     * @return the verified command
     * @throws SecurityCheckException with the reason of the refusal
     */
    Envelope verify(byte[] signedCommand) throws SecurityCheckException;

    /** The roles that may issue commands of this message code (empty: none may). */
    Set<RemotePartyRole> rolesFor(int messageCode);
}
