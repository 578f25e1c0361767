package org.modhub.pki.internal;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.modhub.api.store.StateStore;

/** A StateStore in memory that counts writes, so tests can prove a refusal changed nothing. */
final class MemoryStateStore implements StateStore {
    private final Map<String, byte[]> data = new TreeMap<>();
    final AtomicLong writes = new AtomicLong();

    private static String k(String ns, String key) {
        return ns + "\u0000" + key;
    }

    @Override
    public synchronized Optional<byte[]> get(String namespace, String key) {
        byte[] v = data.get(k(namespace, key));
        return v == null ? Optional.empty() : Optional.of(v.clone());
    }

    @Override
    public synchronized void put(String namespace, String key, byte[] value) {
        writes.incrementAndGet();
        data.put(k(namespace, key), value.clone());
    }

    @Override
    public synchronized boolean compareAndSet(String namespace, String key, byte[] expected, byte[] value) {
        byte[] cur = data.get(k(namespace, key));
        if (expected == null ? cur != null : cur == null || !Arrays.equals(cur, expected)) {
            return false;
        }
        writes.incrementAndGet();
        data.put(k(namespace, key), value.clone());
        return true;
    }

    @Override
    public synchronized boolean remove(String namespace, String key) {
        writes.incrementAndGet();
        return data.remove(k(namespace, key)) != null;
    }

    @Override
    public synchronized Map<String, byte[]> entries(String namespace) {
        Map<String, byte[]> out = new TreeMap<>();
        data.forEach((k, v) -> {
            if (k.startsWith(namespace + "\u0000")) {
                out.put(k.substring(namespace.length() + 1), v.clone());
            }
        });
        return out;
    }

    /** A snapshot of everything, to compare before and after. */
    synchronized Map<String, String> snapshot() {
        Map<String, String> out = new TreeMap<>();
        data.forEach((k, v) -> out.put(k, java.util.HexFormat.of().formatHex(v)));
        return out;
    }
}
