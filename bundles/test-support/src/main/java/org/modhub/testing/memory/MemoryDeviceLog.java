package org.modhub.testing.memory;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.modhub.api.common.Eui64;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceLogFullException;

/** A {@link DeviceLog} in memory for unit tests, with the capacity rule of the real one. */
public final class MemoryDeviceLog implements DeviceLog {
    public final List<DeviceLogEntry> entries = new CopyOnWriteArrayList<>();
    private final int capacity;

    public MemoryDeviceLog() {
        this(32);
    }

    public MemoryDeviceLog(int capacity) {
        this.capacity = capacity;
    }

    @Override
    public synchronized void add(DeviceLogEntry entry) throws DeviceLogFullException {
        boolean known = remove(entry.device());
        if (!known && entries.size() >= capacity) {
            throw new DeviceLogFullException(capacity);
        }
        entries.add(entry);
    }

    @Override
    public boolean remove(Eui64 device) {
        return entries.removeIf(e -> e.device().equals(device));
    }

    @Override
    public Optional<DeviceLogEntry> find(Eui64 device) {
        return entries.stream().filter(e -> e.device().equals(device)).findFirst();
    }

    @Override
    public List<DeviceLogEntry> entries() {
        return List.copyOf(entries);
    }

    @Override
    public int capacity() {
        return capacity;
    }
}
