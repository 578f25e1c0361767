package org.modhub.keys.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import org.modhub.api.keys.DeviceKeyException;
import org.modhub.api.keys.DeviceKeys;
import org.modhub.api.keys.KeyType;
import org.modhub.api.store.StateStore;

/**
 * The device keys at rest in the hub-core {@link StateStore}: one value per key id, its keys (type octet
 * then material, for each type it has) sealed with AES-256-GCM under a key-encryption key derived with
 * PBKDF2-HMAC-SHA256 from the store's secret and a random salt kept beside them. The key id is the
 * associated data, so a sealed value moved to another id does not open. A check value sealed on first
 * use tells a wrong secret from an empty store. Opening is slow on purpose: never on the start path.
 */
final class KeyVault {
    static final String NAMESPACE = "org.modhub.device-keys";
    static final String SALT = "#salt";
    static final String CHECK = "#check";
    static final int ITERATIONS = 100_000;
    private static final int IV = 12;

    private final StateStore state;
    private final SecretKey kek;
    private final SecureRandom random;

    /** @throws DeviceKeyException if the secret is not the one the store was sealed with */
    KeyVault(StateStore state, char[] secret, SecureRandom random) throws DeviceKeyException {
        this.state = state;
        this.random = random;
        if (state.get(NAMESPACE, SALT).isEmpty()) {
            byte[] fresh = new byte[16];
            random.nextBytes(fresh);
            state.compareAndSet(NAMESPACE, SALT, null, fresh); // a racing first use keeps its own
        }
        byte[] salt = state.get(NAMESPACE, SALT).orElseThrow();
        try {
            byte[] k = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                    .generateSecret(new PBEKeySpec(secret, salt, ITERATIONS, 256)).getEncoded();
            kek = new SecretKeySpec(k, "AES");
            Arrays.fill(k, (byte) 0);
        } catch (GeneralSecurityException e) {
            throw new DeviceKeyException("PBKDF2WithHmacSHA256 is not available", e);
        }
        Optional<byte[]> check = state.get(NAMESPACE, CHECK);
        if (check.isEmpty()) {
            state.compareAndSet(NAMESPACE, CHECK, null, seal(CHECK, new byte[16]));
        } else {
            open(CHECK, check.get()); // a wrong secret fails here
        }
    }

    synchronized void put(String keyId, Map<KeyType, byte[]> keys) throws DeviceKeyException {
        DeviceKeys.checkKeyId(keyId);
        if (keys == null || keys.isEmpty()) {
            throw new IllegalArgumentException("no keys to store");
        }
        EnumMap<KeyType, byte[]> all = entries(keyId);
        for (Map.Entry<KeyType, byte[]> e : keys.entrySet()) {
            byte[] m = e.getValue();
            if (m == null || m.length != e.getKey().length()) {
                throw new IllegalArgumentException(e.getKey().shortName() + ": must have " + e.getKey().length()
                        + " octets");
            }
            all.put(e.getKey(), m.clone());
        }
        ByteArrayOutputStream plain = new ByteArrayOutputStream();
        all.forEach((type, material) -> {
            plain.write(type.ordinal());
            plain.writeBytes(material);
        });
        byte[] p = plain.toByteArray();
        state.put(NAMESPACE, keyId, seal(keyId, p));
        Arrays.fill(p, (byte) 0);
        all.values().forEach(m -> Arrays.fill(m, (byte) 0));
    }

    synchronized Optional<SecretKey> key(String keyId, KeyType type) throws DeviceKeyException {
        DeviceKeys.checkKeyId(keyId);
        EnumMap<KeyType, byte[]> all = entries(keyId);
        byte[] m = all.get(type);
        Optional<SecretKey> out = m == null ? Optional.empty() : Optional.of(new SecretKeySpec(m, type.algorithm()));
        all.values().forEach(x -> Arrays.fill(x, (byte) 0));
        return out;
    }

    synchronized boolean remove(String keyId) {
        DeviceKeys.checkKeyId(keyId);
        return state.remove(NAMESPACE, keyId);
    }

    synchronized SortedMap<String, Set<KeyType>> list() throws DeviceKeyException {
        SortedMap<String, Set<KeyType>> out = new TreeMap<>();
        for (String id : state.entries(NAMESPACE).keySet()) {
            if (!id.startsWith("#")) {
                EnumMap<KeyType, byte[]> all = entries(id);
                all.values().forEach(x -> Arrays.fill(x, (byte) 0));
                out.put(id, Set.copyOf(all.keySet()));
            }
        }
        return out;
    }

    private EnumMap<KeyType, byte[]> entries(String keyId) throws DeviceKeyException {
        EnumMap<KeyType, byte[]> out = new EnumMap<>(KeyType.class);
        Optional<byte[]> sealed = state.get(NAMESPACE, keyId);
        if (sealed.isEmpty()) {
            return out;
        }
        byte[] p = open(keyId, sealed.get());
        KeyType[] types = KeyType.values();
        int i = 0;
        while (i < p.length) {
            int t = p[i++] & 0xFF;
            if (t >= types.length || i + types[t].length() > p.length) {
                Arrays.fill(p, (byte) 0);
                throw new DeviceKeyException("device keys '" + keyId + "' are damaged");
            }
            out.put(types[t], Arrays.copyOfRange(p, i, i + types[t].length()));
            i += types[t].length();
        }
        Arrays.fill(p, (byte) 0);
        return out;
    }

    private byte[] seal(String keyId, byte[] plain) {
        try {
            byte[] iv = new byte[IV];
            random.nextBytes(iv);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, kek, new GCMParameterSpec(128, iv));
            c.updateAAD(keyId.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = c.doFinal(plain);
            byte[] out = Arrays.copyOf(iv, IV + sealed.length);
            System.arraycopy(sealed, 0, out, IV, sealed.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    }

    private byte[] open(String keyId, byte[] sealed) throws DeviceKeyException {
        try {
            if (sealed.length < IV + 16) {
                throw new GeneralSecurityException("sealed value too short");
            }
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, kek, new GCMParameterSpec(128, sealed, 0, IV));
            c.updateAAD(keyId.getBytes(StandardCharsets.UTF_8));
            return c.doFinal(sealed, IV, sealed.length - IV);
        } catch (GeneralSecurityException e) {
            throw new DeviceKeyException("device keys '" + keyId + "' do not open: wrong secret or altered entry", e);
        }
    }

    @Override
    public String toString() {
        return "device key vault";
    }
}
