package org.modhub.api.keys;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.regex.Pattern;
import javax.crypto.SecretKey;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The hub's store of symmetric device keys, by key id (a device-log key reference, or the id a meter
 * link's configuration names). The provider keeps them encrypted at rest, never logs them and never
 * publishes them as service properties; every change is an audit event. Drivers look a key up when they
 * need it and keep it no longer than they use it. Methods may block while the provider opens its store
 * on first use (key derivation): do not call them on the framework's start path.
 */
@ProviderType
public interface DeviceKeys {
    /** A key id: 1..64 characters {@code [A-Za-z0-9_.:-]}, starting with a letter or digit. */
    Pattern KEY_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}");

    /** @throws IllegalArgumentException if {@code keyId} is not a valid key id (the message names no key) */
    static String checkKeyId(String keyId) {
        if (keyId == null || !KEY_ID.matcher(keyId).matches()) {
            throw new IllegalArgumentException("a key id has 1..64 characters [A-Za-z0-9_.:-], starting with a letter"
                    + " or digit");
        }
        return keyId;
    }

    /**
     * Stores keys under an id, all or none; types not given keep their stored keys. Durable when it
     * returns; an audit event names the id, the types and {@code origin}, never the material. The caller
     * should clear its arrays afterwards.
     *
     * @param origin how the keys came (e.g. "shell", "imported from configuration X"), for the audit event
     * @throws IllegalArgumentException for a bad id, an empty map or material of the wrong length
     */
    void put(String keyId, Map<KeyType, byte[]> keys, String origin) throws DeviceKeyException;

    /** A key as a fresh {@link SecretKey} (its {@code getEncoded()} is a copy), if stored. */
    Optional<SecretKey> key(String keyId, KeyType type) throws DeviceKeyException;

    /**
     * Removes every key of an id; an audit event says so.
     *
     * @return whether there was any
     */
    boolean remove(String keyId, String origin) throws DeviceKeyException;

    /** The stored ids and which key types each has: never material. */
    SortedMap<String, Set<KeyType>> list() throws DeviceKeyException;
}
