package org.modhub.testing.memory;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.modhub.api.keys.DeviceKeyException;
import org.modhub.api.keys.DeviceKeys;
import org.modhub.api.keys.KeyType;

/**
 * {@link DeviceKeys} in memory for the unit tests of drivers (the real one, sealed at rest, is tested in
 * device-keys): the same validation, an audit trail of origins, and a switch to refuse like a locked store.
 */
public final class MemoryDeviceKeys implements DeviceKeys {
    private final Map<String, EnumMap<KeyType, byte[]>> keys = new TreeMap<>();
    /** "put id origin" / "remove id origin", in order. */
    public final List<String> audit = new ArrayList<>();
    /** When set, every call fails with this message (a wrong secret, say). */
    public volatile String refuse;

    private void check() throws DeviceKeyException {
        if (refuse != null) {
            throw new DeviceKeyException(refuse);
        }
    }

    @Override
    public synchronized void put(String keyId, Map<KeyType, byte[]> material, String origin) throws DeviceKeyException {
        DeviceKeys.checkKeyId(keyId);
        check();
        if (material.isEmpty()) {
            throw new IllegalArgumentException("no keys to store");
        }
        material.forEach((type, m) -> {
            if (m == null || m.length != type.length()) {
                throw new IllegalArgumentException(type.shortName() + ": must have " + type.length() + " octets");
            }
        });
        EnumMap<KeyType, byte[]> set = keys.computeIfAbsent(keyId, k -> new EnumMap<>(KeyType.class));
        material.forEach((type, m) -> set.put(type, m.clone()));
        audit.add("put " + keyId + " " + origin);
    }

    @Override
    public synchronized Optional<SecretKey> key(String keyId, KeyType type) throws DeviceKeyException {
        DeviceKeys.checkKeyId(keyId);
        check();
        EnumMap<KeyType, byte[]> set = keys.get(keyId);
        byte[] m = set == null ? null : set.get(type);
        return m == null ? Optional.empty() : Optional.of(new SecretKeySpec(m, type.algorithm()));
    }

    @Override
    public synchronized boolean remove(String keyId, String origin) throws DeviceKeyException {
        check();
        boolean removed = keys.remove(keyId) != null;
        if (removed) {
            audit.add("remove " + keyId + " " + origin);
        }
        return removed;
    }

    @Override
    public synchronized SortedMap<String, Set<KeyType>> list() throws DeviceKeyException {
        check();
        SortedMap<String, Set<KeyType>> out = new TreeMap<>();
        keys.forEach((id, set) -> out.put(id, Set.copyOf(set.keySet())));
        return out;
    }
}
