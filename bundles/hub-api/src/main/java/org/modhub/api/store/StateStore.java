package org.modhub.api.store;

import java.util.Map;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Small durable state for bundles (counters, cursors, last-seen values), owned by hub-core so that
 * it outlives the bundle that wrote it: an updated or replaced bundle finds it again. Keys are
 * scoped by a namespace (conventionally the bundle's symbolic name). A write is durable when it
 * returns. Not for metering data (use the MeteringStore) nor for secrets (use the key store).
 */
@ProviderType
public interface StateStore {
    Optional<byte[]> get(String namespace, String key);

    void put(String namespace, String key, byte[] value);

    /**
     * Writes {@code value} only if the current value equals {@code expected} (absent when
     * {@code expected} is null); atomic and durable.
     *
     * @return whether it was written
     */
    boolean compareAndSet(String namespace, String key, byte[] expected, byte[] value);

    boolean remove(String namespace, String key);

    /** All keys and values of a namespace. */
    Map<String, byte[]> entries(String namespace);
}
