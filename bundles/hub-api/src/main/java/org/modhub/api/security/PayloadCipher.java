package org.modhub.api.security;

import org.modhub.api.common.Eui64;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Authenticated encryption of payloads between the hub and a remote party: static-static ECDH on
 * P-256 between the hub's key-agreement key and the party's key-agreement certificate, a SHA-256
 * concatenation KDF (NIST SP 800-56A, OtherInfo = AlgorithmID ‖ sender system title ‖ recipient
 * system title) to an AES-128 key, and AES-128-GCM with a 12-byte tag. The IV is the sender's 8-byte
 * system title (its entity id) followed by its 4-byte invocation counter, which is persisted and
 * never reused.
 *
 * <pre>
 * ciphered = system title (8) ‖ invocation counter (4, big-endian) ‖ ciphertext ‖ tag (12)
 * </pre>
 *
 * The additional authenticated data are the caller's {@code aad} (e.g. the message header).
 */
@ProviderType
public interface PayloadCipher {
    /** Bytes added to a plaintext by {@link #encrypt}. */
    int OVERHEAD = 8 + 4 + 12;

    /**
     * @throws SecurityCheckException if the recipient has no usable key-agreement certificate, or the
     *         invocation counter is exhausted
     */
    byte[] encrypt(Eui64 recipient, byte[] aad, byte[] plaintext) throws SecurityCheckException;

    /**
     * Decrypts what {@code originator} encrypted for this hub. Its invocation counter must be above the
     * last one accepted from it (replays are refused); it is persisted only once the tag verified.
     *
     * @throws SecurityCheckException if malformed, not from that originator, replayed or tampered
     */
    byte[] decrypt(Eui64 originator, byte[] aad, byte[] ciphered) throws SecurityCheckException;
}
