package org.modhub.pki.internal;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.modhub.api.common.Eui64;
import org.modhub.api.messaging.Envelope;
import org.modhub.api.messaging.MalformedMessageException;
import org.modhub.api.messaging.MessageType;
import org.modhub.api.security.KeyUse;
import org.modhub.api.security.RemotePartyRole;
import org.modhub.api.security.SecurityCheckException;
import org.modhub.api.security.SecurityCheckException.Reason;
import org.modhub.api.security.SignedEnvelopeCodec;
import org.modhub.api.security.SignedEnvelopeCodec.SignedEnvelope;
import org.modhub.api.store.StateStore;

/**
 * The command verifier's checks (see {@link org.modhub.api.security.CommandVerifier}): everything is
 * checked first, and only then is the originator counter advanced, in one compare-and-set on the
 * state store. Each refusal is written to the audit log.
 */
public final class CommandVerification {
    public static final String COUNTERS = "org.modhub.pki.counters";

    private final Eui64 hubId;
    private final TrustState trust;
    private final Policy policy;
    private final StateStore state;
    private final SecurityEvents events;
    private final Supplier<Instant> clock;
    private final Duration validity;
    private final int maxBytes;
    private final Map<Eui64, Long> lastCounters = new ConcurrentHashMap<>();
    private final Map<Eui64, Object> locks = new ConcurrentHashMap<>();

    public CommandVerification(Eui64 hubId, TrustState trust, Policy policy, StateStore state, SecurityEvents events,
            Supplier<Instant> clock, Duration validity, int maxBytes) {
        this.hubId = hubId;
        this.trust = trust;
        this.policy = policy;
        this.state = state;
        this.events = events;
        this.clock = clock;
        this.validity = validity;
        this.maxBytes = maxBytes;
    }

    public Policy policy() {
        return policy;
    }

    public Envelope verify(byte[] bytes) throws SecurityCheckException {
        try {
            return check(bytes);
        } catch (SecurityCheckException e) {
            events.refused("command", e, originatorOf(bytes));
            throw e;
        }
    }

    /** The originator field of (possibly malformed) bytes, for the audit log. */
    private static Eui64 originatorOf(byte[] bytes) {
        return bytes != null && bytes.length >= 18 ? Eui64.of(ByteBuffer.wrap(bytes, 10, 8).getLong()) : null;
    }

    private Envelope check(byte[] bytes) throws SecurityCheckException {
        if (bytes == null) {
            throw new SecurityCheckException(Reason.MALFORMED, "no bytes");
        }
        if (bytes.length > maxBytes) {
            throw new SecurityCheckException(Reason.OVERSIZED, bytes.length + " bytes, at most " + maxBytes);
        }
        SignedEnvelope signed;
        try {
            signed = SignedEnvelopeCodec.decode(bytes);
        } catch (MalformedMessageException e) {
            throw new SecurityCheckException(Reason.MALFORMED, e.getMessage(), e);
        }
        Envelope command = signed.envelope();
        int code = command.messageCode();
        if (command.type() != MessageType.COMMAND) {
            throw new SecurityCheckException(Reason.NOT_A_COMMAND, "CRA flag says " + command.type());
        }
        if (!command.recipient().equals(hubId)) {
            throw new SecurityCheckException(Reason.WRONG_RECIPIENT, "recipient " + command.recipient()
                    + " is not this hub " + hubId);
        }
        Instant now = clock.get();
        Duration skew = Duration.between(now, command.dateTime()).abs();
        if (skew.compareTo(validity) > 0) {
            throw new SecurityCheckException(Reason.STALE_DATE_TIME, "date-time " + command.dateTime()
                    + " outside the validity window of " + validity.toSeconds() + " s");
        }
        Eui64 originator = command.originator();
        Optional<Certificates.Info> cert = trust.certificate(originator, KeyUse.DIGITAL_SIGNATURE);
        if (cert.isEmpty()) {
            throw new SecurityCheckException(Reason.UNKNOWN_ORIGINATOR, originator + " has no signing certificate");
        }
        if (!trust.whitelisted(originator)) {
            throw new SecurityCheckException(Reason.NOT_WHITELISTED, originator + " is not whitelisted");
        }
        trust.validate(cert.get(), now);
        boolean permitted = false;
        for (RemotePartyRole r : policy.rolesFor(code)) {
            permitted |= cert.get().roles().contains(r);
        }
        if (!permitted) {
            throw new SecurityCheckException(Reason.ROLE_NOT_PERMITTED, String.format(
                    "%s with roles %s may not issue code 0x%04X (needs one of %s)", originator, cert.get().roles(), code,
                    policy.rolesFor(code)));
        }
        if (!Crypto.verify(cert.get().publicKey(), signed.signedBytes(), signed.signature())) {
            throw new SecurityCheckException(Reason.BAD_SIGNATURE, "signature of " + command.messageId() + " from "
                    + originator + " does not verify");
        }
        String violation = policy.rangeViolation(code, command.payload());
        if (violation != null) {
            throw new SecurityCheckException(Reason.VALUE_OUT_OF_RANGE, String.format("code 0x%04X: %s", code, violation));
        }
        advanceCounter(originator, command.originatorCounter());
        return command;
    }

    private void advanceCounter(Eui64 originator, long counter) throws SecurityCheckException {
        synchronized (locks.computeIfAbsent(originator, k -> new Object())) {
            Long last = lastCounters.get(originator);
            byte[] expected;
            if (last == null) {
                Optional<byte[]> stored = state.get(COUNTERS, originator.toHex());
                expected = stored.orElse(null);
                last = stored.map(b -> ByteBuffer.wrap(b).getLong()).orElse(-1L);
            } else {
                expected = last < 0 ? null : ByteBuffer.allocate(8).putLong(last).array();
            }
            if (counter <= last) {
                throw new SecurityCheckException(Reason.REPLAYED_COUNTER, "originator counter " + counter
                        + " is not above the last accepted " + last + " from " + originator);
            }
            if (!state.compareAndSet(COUNTERS, originator.toHex(), expected, ByteBuffer.allocate(8).putLong(counter)
                    .array())) {
                lastCounters.remove(originator);
                throw new SecurityCheckException(Reason.REPLAYED_COUNTER, "originator counter of " + originator
                        + " changed concurrently");
            }
            lastCounters.put(originator, counter);
        }
    }
}
