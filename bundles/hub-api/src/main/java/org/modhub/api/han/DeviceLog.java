package org.modhub.api.han;

import java.util.List;
import java.util.Optional;
import org.modhub.api.common.Eui64;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The device log: the whitelist of devices that may join the HAN and whose messages the hub passes.
 * Owned and persisted by hub-core; HAN bundles consult it for every join and every message.
 */
@ProviderType
public interface DeviceLog {
    /**
     * Adds or replaces an entry; durable when this returns.
     *
     * @throws DeviceLogFullException if the device is new and the log is at capacity
     */
    void add(DeviceLogEntry entry) throws DeviceLogFullException;

    /** Removes a device; returns whether it was present. Durable when this returns. */
    boolean remove(Eui64 device);

    Optional<DeviceLogEntry> find(Eui64 device);

    /** Whether the device is in the log. */
    default boolean contains(Eui64 device) {
        return find(device).isPresent();
    }

    /** All entries, in order of addition. */
    List<DeviceLogEntry> entries();

    /** Maximum number of entries. */
    int capacity();
}
