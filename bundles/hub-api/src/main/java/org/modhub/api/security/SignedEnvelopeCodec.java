package org.modhub.api.security;

import java.util.Arrays;
import org.modhub.api.messaging.Envelope;
import org.modhub.api.messaging.EnvelopeCodec;
import org.modhub.api.messaging.MalformedMessageException;

/**
 * The signed wire form of a message: the {@link EnvelopeCodec} bytes of the envelope followed by a
 * 64-byte raw ECDSA P-256 signature {@code r ‖ s} (each 32 bytes, big-endian, left-padded) over
 * SHA-256 of every byte before it (header and payload).
 *
 * <pre>
 * 0      k   EnvelopeCodec bytes (k = 41 + message id length + payload length)
 * k      64  r ‖ s
 * </pre>
 *
 * The envelope is self-delimiting, so the signature is found without a separate length; a message
 * with anything other than exactly 64 bytes after the envelope is malformed. An unsigned envelope
 * (plain {@link EnvelopeCodec} bytes) is therefore never mistaken for a signed one.
 */
public final class SignedEnvelopeCodec {
    /** Length of the raw r ‖ s signature. */
    public static final int SIGNATURE_LENGTH = 64;
    private static final int ID_LENGTH_OFFSET = 36;

    private SignedEnvelopeCodec() {
    }

    /** Appends a signature to the encoded envelope. */
    public static byte[] encode(byte[] envelopeBytes, byte[] signature) {
        if (signature == null || signature.length != SIGNATURE_LENGTH) {
            throw new IllegalArgumentException("a signature has " + SIGNATURE_LENGTH + " bytes");
        }
        byte[] out = Arrays.copyOf(envelopeBytes, envelopeBytes.length + SIGNATURE_LENGTH);
        System.arraycopy(signature, 0, out, envelopeBytes.length, SIGNATURE_LENGTH);
        return out;
    }

    /**
     * The length of the envelope at the start of {@code bytes}, read from its length fields.
     *
     * @throws MalformedMessageException if the length fields are missing or out of range
     */
    public static int envelopeLength(byte[] bytes) throws MalformedMessageException {
        if (bytes == null || bytes.length < ID_LENGTH_OFFSET + 1) {
            throw new MalformedMessageException("message too short: " + (bytes == null ? 0 : bytes.length) + " bytes");
        }
        int idLength = bytes[ID_LENGTH_OFFSET] & 0xFF;
        if (idLength == 0 || idLength > 128) {
            throw new MalformedMessageException("message id length " + idLength + " out of 1..128");
        }
        int at = ID_LENGTH_OFFSET + 1 + idLength;
        if (bytes.length < at + 4) {
            throw new MalformedMessageException("message truncated");
        }
        long payload = ((bytes[at] & 0xFFL) << 24) | ((bytes[at + 1] & 0xFF) << 16) | ((bytes[at + 2] & 0xFF) << 8)
                | (bytes[at + 3] & 0xFF);
        if (payload > EnvelopeCodec.MAX_PAYLOAD) {
            throw new MalformedMessageException("payload length " + payload + " out of 0.." + EnvelopeCodec.MAX_PAYLOAD);
        }
        return (int) (at + 4 + payload);
    }

    /**
     * Splits and decodes a signed message; does not verify the signature.
     *
     * @throws MalformedMessageException unless the bytes are exactly one envelope and 64 signature bytes
     */
    public static SignedEnvelope decode(byte[] bytes) throws MalformedMessageException {
        int length = envelopeLength(bytes);
        if (bytes.length != length + SIGNATURE_LENGTH) {
            throw new MalformedMessageException("signed message of " + bytes.length + " bytes: envelope of " + length
                    + " bytes must be followed by exactly " + SIGNATURE_LENGTH + " signature bytes");
        }
        byte[] signed = Arrays.copyOf(bytes, length);
        Envelope envelope = EnvelopeCodec.decode(signed);
        return new SignedEnvelope(envelope, signed, Arrays.copyOfRange(bytes, length, bytes.length));
    }

    /** A decoded signed message: the envelope, the exact bytes that were signed, and the signature. */
    public static final class SignedEnvelope {
        private final Envelope envelope;
        private final byte[] signedBytes;
        private final byte[] signature;

        SignedEnvelope(Envelope envelope, byte[] signedBytes, byte[] signature) {
            this.envelope = envelope;
            this.signedBytes = signedBytes;
            this.signature = signature;
        }

        public Envelope envelope() {
            return envelope;
        }

        public byte[] signedBytes() {
            return signedBytes.clone();
        }

        public byte[] signature() {
            return signature.clone();
        }
    }
}
