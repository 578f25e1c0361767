package org.modhub.pki.internal;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.modhub.api.common.Eui64;
import org.modhub.api.security.KeyUse;
import org.modhub.api.security.PayloadCipher;
import org.modhub.api.security.SecurityCheckException;
import org.modhub.api.security.SecurityCheckException.Reason;
import org.modhub.api.store.StateStore;

/**
 * {@link PayloadCipher}: ECDH P-256 (Bouncy Castle) → SHA-256 concatenation KDF (SP 800-56A §5.8.2.1:
 * Hash(counter 00000001 ‖ Z ‖ OtherInfo), OtherInfo = AlgorithmID ‖ PartyUInfo ‖ PartyVInfo with
 * AlgorithmID = 60 85 74 05 08 03 00 (the DLMS/COSEM id of AES-GCM-128, as DLMS security suite 1
 * uses), PartyUInfo = sender system title, PartyVInfo = recipient system title) → the leftmost 128
 * bits as AES key → AES-128-GCM (JDK, hardware AES) with a 96-bit tag.
 *
 * <p>Outbound invocation counters come from one counter per hub key, reserved in blocks in the
 * state store before use, so no value is issued twice even across crashes. Inbound counters must
 * increase per originator; the last accepted one is persisted after the tag verified.
 */
public final class GcmCipher implements PayloadCipher {
    public static final String NAMESPACE = "org.modhub.pki.cipher";
    static final byte[] ALGORITHM_ID = {0x60, (byte) 0x85, 0x74, 0x05, 0x08, 0x03, 0x00};
    private static final long BLOCK = 1_000;
    private static final long MAX_IC = 0xFFFF_FFFFL;
    private static final int TAG_BITS = 96;

    private final HubKeys keys;
    private final TrustState trust;
    private final StateStore state;
    private final SecurityEvents events;
    private final Supplier<Instant> clock;
    private final Map<String, SecretKeySpec> derived = new ConcurrentHashMap<>();
    private final Map<Eui64, Object> locks = new ConcurrentHashMap<>();
    private long nextIc;
    private long icCeiling;

    public GcmCipher(HubKeys keys, TrustState trust, StateStore state, SecurityEvents events, Supplier<Instant> clock) {
        this.keys = keys;
        this.trust = trust;
        this.state = state;
        this.events = events;
        this.clock = clock;
        long reserved = state.get(NAMESPACE, "ic-ceiling").map(b -> ByteBuffer.wrap(b).getLong()).orElse(1L);
        this.nextIc = reserved;
        this.icCeiling = reserved;
    }

    /** SP 800-56A concatenation KDF with SHA-256, one round (128 bits needed). */
    static byte[] kdf(byte[] z, byte[] partyU, byte[] partyV) {
        byte[] k = Crypto.sha256(new byte[] {0, 0, 0, 1}, z, ALGORITHM_ID, partyU, partyV);
        return Arrays.copyOf(k, 16);
    }

    private SecretKeySpec key(Certificates.Info peerKa, Eui64 sender, Eui64 recipient) throws SecurityCheckException {
        String id = peerKa.fingerprint() + "/" + sender.toHex() + ">" + recipient.toHex();
        SecretKeySpec k = derived.get(id);
        if (k == null) {
            byte[] z = keys.agree(peerKa.publicKey());
            k = new SecretKeySpec(kdf(z, sender.octets(), recipient.octets()), "AES");
            Arrays.fill(z, (byte) 0);
            derived.put(id, k);
        }
        return k;
    }

    private Certificates.Info peer(Eui64 party) throws SecurityCheckException {
        Optional<Certificates.Info> ka = trust.certificate(party, KeyUse.KEY_AGREEMENT);
        if (ka.isEmpty()) {
            throw new SecurityCheckException(Reason.UNKNOWN_ORIGINATOR, party + " has no key-agreement certificate");
        }
        if (!trust.whitelisted(party)) {
            throw new SecurityCheckException(Reason.NOT_WHITELISTED, party + " is not whitelisted");
        }
        trust.validate(ka.get(), clock.get());
        return ka.get();
    }

    private synchronized long nextInvocationCounter() throws SecurityCheckException {
        if (nextIc > MAX_IC) {
            throw new SecurityCheckException(Reason.COUNTER_EXHAUSTED, "invocation counter exhausted: new keys needed");
        }
        if (nextIc >= icCeiling) {
            long ceiling = Math.min(nextIc + BLOCK, MAX_IC + 1);
            state.put(NAMESPACE, "ic-ceiling", ByteBuffer.allocate(8).putLong(ceiling).array());
            icCeiling = ceiling;
        }
        return nextIc++;
    }

    @Override
    public byte[] encrypt(Eui64 recipient, byte[] aad, byte[] plaintext) throws SecurityCheckException {
        try {
            Certificates.Info peer = peer(recipient);
            SecretKeySpec key = key(peer, keys.entityId(), recipient);
            long ic = nextInvocationCounter();
            byte[] iv = ByteBuffer.allocate(12).put(keys.entityId().octets()).putInt((int) ic).array();
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
            if (aad != null) {
                c.updateAAD(aad);
            }
            byte[] ct = c.doFinal(plaintext);
            return ByteBuffer.allocate(12 + ct.length).put(iv).put(ct).array();
        } catch (SecurityCheckException e) {
            events.refused("encrypt for " + recipient, e, recipient);
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable", e);
        }
    }

    @Override
    public byte[] decrypt(Eui64 originator, byte[] aad, byte[] ciphered) throws SecurityCheckException {
        try {
            return open(originator, aad, ciphered);
        } catch (SecurityCheckException e) {
            events.refused("decrypt from " + originator, e, originator);
            throw e;
        }
    }

    private byte[] open(Eui64 originator, byte[] aad, byte[] ciphered) throws SecurityCheckException {
        if (ciphered == null || ciphered.length < OVERHEAD) {
            throw new SecurityCheckException(Reason.MALFORMED, "ciphered payload shorter than " + OVERHEAD + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(ciphered);
        Eui64 title = Eui64.of(b.getLong());
        long ic = b.getInt() & 0xFFFF_FFFFL;
        if (!title.equals(originator)) {
            throw new SecurityCheckException(Reason.AUTHENTICATION_FAILED, "system title " + title
                    + " is not the originator " + originator);
        }
        Certificates.Info peer = peer(originator);
        synchronized (locks.computeIfAbsent(originator, k -> new Object())) {
            Optional<byte[]> stored = state.get(NAMESPACE, "in/" + originator.toHex());
            long last = stored.map(x -> ByteBuffer.wrap(x).getLong()).orElse(-1L);
            if (ic <= last) {
                throw new SecurityCheckException(Reason.REPLAYED_COUNTER, "invocation counter " + ic
                        + " is not above the last accepted " + last + " from " + originator);
            }
            byte[] plain;
            try {
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(Cipher.DECRYPT_MODE, key(peer, originator, keys.entityId()),
                        new GCMParameterSpec(TAG_BITS, ciphered, 0, 12));
                if (aad != null) {
                    c.updateAAD(aad);
                }
                plain = c.doFinal(ciphered, 12, ciphered.length - 12);
            } catch (AEADBadTagException e) {
                throw new SecurityCheckException(Reason.AUTHENTICATION_FAILED, "GCM tag does not verify");
            } catch (GeneralSecurityException e) {
                throw new SecurityCheckException(Reason.AUTHENTICATION_FAILED, "cannot decrypt: " + e.getMessage(), e);
            }
            if (!state.compareAndSet(NAMESPACE, "in/" + originator.toHex(), stored.orElse(null),
                    ByteBuffer.allocate(8).putLong(ic).array())) {
                throw new SecurityCheckException(Reason.REPLAYED_COUNTER, "invocation counter of " + originator
                        + " changed concurrently");
            }
            return plain;
        }
    }

    /** Forgets derived keys (after a trust change). */
    void clear() {
        derived.clear();
    }
}
