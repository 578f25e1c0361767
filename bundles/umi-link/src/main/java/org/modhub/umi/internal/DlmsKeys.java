package org.modhub.umi.internal;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import javax.crypto.SecretKey;
import org.modhub.api.keys.DeviceKeyException;
import org.modhub.api.keys.DeviceKeys;
import org.modhub.api.keys.KeyType;

/**
 * The secrets of one DLMS association (security suite 0): the hub's system title, the global unicast
 * encryption (block cipher) key and the authentication key, as one key id holds them in the hub's
 * {@link DeviceKeys}. {@link #toString()} never shows a key.
 */
public record DlmsKeys(byte[] systemTitle, byte[] blockCipherKey, byte[] authenticationKey) {
    public DlmsKeys {
        if (systemTitle == null || systemTitle.length != 8) {
            throw new IllegalArgumentException("systemTitle: must have 8 bytes");
        }
        if (blockCipherKey == null || blockCipherKey.length != 16) {
            throw new IllegalArgumentException("blockCipherKey: must have 16 bytes (suite 0)");
        }
        if (authenticationKey == null || authenticationKey.length != 16) {
            throw new IllegalArgumentException("authenticationKey: must have 16 bytes (suite 0)");
        }
        systemTitle = systemTitle.clone();
        blockCipherKey = blockCipherKey.clone();
        authenticationKey = authenticationKey.clone();
    }

    /** The keys of an id in the hub's device keys, if all three are there. */
    static Optional<DlmsKeys> lookup(DeviceKeys keys, String keyId) throws DeviceKeyException {
        Optional<SecretKey> title = keys.key(keyId, KeyType.DLMS_SYSTEM_TITLE);
        Optional<SecretKey> ek = keys.key(keyId, KeyType.DLMS_BLOCK_CIPHER);
        Optional<SecretKey> ak = keys.key(keyId, KeyType.DLMS_AUTHENTICATION);
        if (title.isEmpty() || ek.isEmpty() || ak.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new DlmsKeys(title.get().getEncoded(), ek.get().getEncoded(), ak.get().getEncoded()));
    }

    /** Copies for {@link DeviceKeys#put}. */
    Map<KeyType, byte[]> material() {
        Map<KeyType, byte[]> m = new EnumMap<>(KeyType.class);
        m.put(KeyType.DLMS_SYSTEM_TITLE, systemTitle());
        m.put(KeyType.DLMS_BLOCK_CIPHER, blockCipherKey());
        m.put(KeyType.DLMS_AUTHENTICATION, authenticationKey());
        return m;
    }

    @Override
    public byte[] systemTitle() {
        return systemTitle.clone();
    }

    @Override
    public byte[] blockCipherKey() {
        return blockCipherKey.clone();
    }

    @Override
    public byte[] authenticationKey() {
        return authenticationKey.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DlmsKeys k && Arrays.equals(systemTitle, k.systemTitle)
                && Arrays.equals(blockCipherKey, k.blockCipherKey) && Arrays.equals(authenticationKey, k.authenticationKey);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(systemTitle);
    }

    @Override
    public String toString() {
        return "DlmsKeys[systemTitle=" + java.util.HexFormat.of().formatHex(systemTitle) + ", keys=<hidden>]";
    }
}
