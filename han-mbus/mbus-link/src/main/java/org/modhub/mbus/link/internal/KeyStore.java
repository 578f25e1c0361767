package org.modhub.mbus.link.internal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import org.modhub.api.store.StateStore;

/**
 * The M-Bus device keys (AES-128, security modes 5 and 7), each stored in the hub-core
 * {@link StateStore} only wrapped: AES-256-GCM under a key-encryption key derived with
 * PBKDF2-HMAC-SHA256 from the key-store secret and a random salt, the key reference as associated
 * data (so a wrapped key cannot be moved to another reference). A device names its key by the key
 * reference of its device-log entry. Keys are never logged nor returned in {@link #toString()}.
 */
public final class KeyStore {
    public static final String NAMESPACE = "org.modhub.mbus.keys";
    static final String SALT = "#salt";
    static final String CHECK = "#check";
    static final int ITERATIONS = 20_000;

    /** The key store refuses: wrong secret, or a wrapped key was altered. */
    public static final class KeyStoreException extends Exception {
        private static final long serialVersionUID = 1L;

        KeyStoreException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final StateStore state;
    private final SecretKey kek;
    private final SecureRandom random;

    /**
     * Derives the key-encryption key (slow on purpose: call off the framework's start path) and checks
     * it against the store's check value (written on first use).
     *
     * @throws KeyStoreException if the secret is not the one the store was made with
     */
    public KeyStore(StateStore state, char[] secret, SecureRandom random) throws KeyStoreException {
        this.state = state;
        this.random = random;
        byte[] salt = state.get(NAMESPACE, SALT).orElse(null);
        if (salt == null) {
            byte[] fresh = new byte[16];
            random.nextBytes(fresh);
            state.compareAndSet(NAMESPACE, SALT, null, fresh);
            salt = state.get(NAMESPACE, SALT).orElseThrow();
        }
        try {
            SecretKeyFactory f = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256");
            byte[] k = f.generateSecret(new PBEKeySpec(secret, salt, ITERATIONS, 256)).getEncoded();
            this.kek = new SecretKeySpec(k, "AES");
            Arrays.fill(k, (byte) 0);
        } catch (GeneralSecurityException e) {
            throw new KeyStoreException("PBKDF2WithHmacSHA256 not available", e);
        }
        Optional<byte[]> check = state.get(NAMESPACE, CHECK);
        if (check.isEmpty()) {
            state.compareAndSet(NAMESPACE, CHECK, null, wrap(CHECK, new byte[16]));
        } else {
            unwrap(CHECK, check.get()); // throws on a wrong secret
        }
    }

    /** Stores (or replaces) the key of a reference; durable when this returns. */
    public void put(String reference, byte[] key) {
        checkReference(reference);
        if (key == null || key.length != 16) {
            throw new IllegalArgumentException("an M-Bus key is AES-128: 16 octets");
        }
        state.put(NAMESPACE, reference, wrap(reference, key));
    }

    public boolean remove(String reference) {
        checkReference(reference);
        return state.remove(NAMESPACE, reference);
    }

    /** The key of a reference, if stored. */
    public Optional<byte[]> get(String reference) throws KeyStoreException {
        checkReference(reference);
        Optional<byte[]> w = state.get(NAMESPACE, reference);
        if (w.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(unwrap(reference, w.get()));
    }

    /** The references of the stored keys (never the keys). */
    public List<String> references() {
        List<String> out = new ArrayList<>();
        for (String k : state.entries(NAMESPACE).keySet()) {
            if (!k.startsWith("#")) {
                out.add(k);
            }
        }
        out.sort(null);
        return out;
    }

    private static void checkReference(String reference) {
        if (reference == null || reference.isEmpty() || reference.length() > 64 || reference.startsWith("#")) {
            throw new IllegalArgumentException("a key reference has 1..64 characters and does not start with '#'");
        }
    }

    private byte[] wrap(String reference, byte[] key) {
        try {
            byte[] iv = new byte[12];
            random.nextBytes(iv);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, kek, new GCMParameterSpec(128, iv));
            c.updateAAD(reference.getBytes(StandardCharsets.UTF_8));
            byte[] ct = c.doFinal(key);
            byte[] out = new byte[12 + ct.length];
            System.arraycopy(iv, 0, out, 0, 12);
            System.arraycopy(ct, 0, out, 12, ct.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM not available", e);
        }
    }

    private byte[] unwrap(String reference, byte[] wrapped) throws KeyStoreException {
        try {
            if (wrapped.length < 12 + 16) {
                throw new GeneralSecurityException("wrapped key too short");
            }
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, kek, new GCMParameterSpec(128, wrapped, 0, 12));
            c.updateAAD(reference.getBytes(StandardCharsets.UTF_8));
            return c.doFinal(wrapped, 12, wrapped.length - 12);
        } catch (GeneralSecurityException e) {
            throw new KeyStoreException("key store refuses '" + reference + "': wrong secret or altered entry", e);
        }
    }

    @Override
    public String toString() {
        return "M-Bus key store (" + references().size() + " keys)";
    }
}
