package org.modhub.api.security;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
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
 *
 * <p>Pipelines verify in two steps (since 1.1): {@link #check} does every check except the
 * originator counter and may run concurrently for many commands; {@link #accept} then takes the
 * checked commands of one originator <em>in the order they arrived</em>, refuses a counter that is
 * not above the last one accepted, and returns a stage that completes once the counter is durably
 * stored — only then may the command take effect. Concurrent commands may share one durable write.
 * {@code verify(bytes)} is {@code accept(check(bytes))} waited for.
 */
@ProviderType
public interface CommandVerifier {
    /**
     * @param signedCommand the signed wire form of a command
     * @return the verified command
     * @throws SecurityCheckException with the reason of the refusal
     */
    Envelope verify(byte[] signedCommand) throws SecurityCheckException;

    /**
     * The first step: every check except the originator counter, no state changed. Thread-safe; may
     * run concurrently for commands of the same originator. The default defers everything to
     * {@link #accept}.
     *
     * @throws SecurityCheckException with the reason of the refusal (audited)
     * @since 1.1
     */
    default Checked check(byte[] signedCommand) throws SecurityCheckException {
        byte[] copy = signedCommand == null ? null : signedCommand.clone();
        return () -> copy;
    }

    /**
     * The second step: call it for the checked commands of one originator in the order they arrived.
     * Refuses (a stage completed exceptionally with a {@link SecurityCheckException}) a counter not
     * strictly above the last one accepted; otherwise reserves it at once, so the next call sees it,
     * and returns a stage completing with the verified command once the counter is durably stored.
     * A {@link Checked} this verifier did not make is verified again from its bytes. The default runs
     * {@link #verify} on the bytes.
     *
     * @since 1.1
     */
    default CompletionStage<Envelope> accept(Checked checked) {
        try {
            return CompletableFuture.completedFuture(verify(checked.bytes()));
        } catch (SecurityCheckException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** The outcome of {@link #check}: to be passed to {@link #accept} of the same verifier. */
    @ProviderType
    interface Checked {
        /** The signed wire form the command was checked from. */
        byte[] bytes();
    }

    /** The roles that may issue commands of this message code (empty: none may). */
    Set<RemotePartyRole> rolesFor(int messageCode);
}
