package org.modhub.testing.memory;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.modhub.api.store.StateStore;

/** A {@link StateStore} in memory for unit tests: values copied in and out, compareAndSet atomic. */
public final class MemoryStateStore implements StateStore {
    private final Map<String, Map<String, byte[]>> spaces = new ConcurrentHashMap<>();

    private Map<String, byte[]> space(String namespace) {
        return spaces.computeIfAbsent(namespace, n -> new ConcurrentHashMap<>());
    }

    @Override
    public Optional<byte[]> get(String namespace, String key) {
        return Optional.ofNullable(space(namespace).get(key)).map(byte[]::clone);
    }

    @Override
    public void put(String namespace, String key, byte[] value) {
        space(namespace).put(key, value.clone());
    }

    @Override
    public synchronized boolean compareAndSet(String namespace, String key, byte[] expected, byte[] value) {
        byte[] now = space(namespace).get(key);
        if (expected == null ? now != null : !Arrays.equals(expected, now)) {
            return false;
        }
        space(namespace).put(key, value.clone());
        return true;
    }

    @Override
    public boolean remove(String namespace, String key) {
        return space(namespace).remove(key) != null;
    }

    @Override
    public Map<String, byte[]> entries(String namespace) {
        Map<String, byte[]> out = new TreeMap<>();
        space(namespace).forEach((k, v) -> out.put(k, v.clone()));
        return out;
    }
}
