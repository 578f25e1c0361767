package org.modhub.api.messaging;

import java.util.Objects;

/**
 * An alert prepared ahead of time by {@link MessageRouter#prepareAlert}: stamped with the hub's
 * originator counter and, when the hub has a signer, signed — so that sending it later is only a
 * durable enqueue. Immutable.
 *
 * @since 1.1
 */
public final class PreparedAlert {
    private final Envelope envelope;
    private final byte[] wire;
    private final boolean signed;

    /**
     * @param envelope the stamped alert
     * @param wire its wire form ({@link EnvelopeCodec}, or the signed form when {@code signed})
     * @param signed whether {@code wire} carries the hub's signature
     */
    public PreparedAlert(Envelope envelope, byte[] wire, boolean signed) {
        this.envelope = Objects.requireNonNull(envelope, "envelope");
        if (envelope.type() != MessageType.ALERT) {
            throw new IllegalArgumentException("not an alert: " + envelope.type());
        }
        this.wire = Objects.requireNonNull(wire, "wire").clone();
        this.signed = signed;
    }

    public Envelope envelope() {
        return envelope;
    }

    /** A copy of the wire form. */
    public byte[] wire() {
        return wire.clone();
    }

    public boolean signed() {
        return signed;
    }

    @Override
    public String toString() {
        return "PreparedAlert[" + envelope + (signed ? ", signed" : "") + "]";
    }
}
