package org.modhub.api.han;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.modhub.api.common.Eui64;

/**
 * One entry in the device log: a device that may join and talk on the HAN.
 *
 * @param device the device's EUI-64
 * @param type its type
 * @param installCode the install code its link key is derived from, if it joins with one
 * @param keyReference the alias under which its key is held in the key store, if it has one
 * @param added when the entry was added (UTC)
 */
public record DeviceLogEntry(Eui64 device, DeviceType type, Optional<InstallCode> installCode,
        Optional<String> keyReference, Instant added) {
    public DeviceLogEntry {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(type, "type");
        installCode = installCode == null ? Optional.empty() : installCode;
        keyReference = keyReference == null ? Optional.empty() : keyReference;
        Objects.requireNonNull(added, "added");
    }

    public static DeviceLogEntry withInstallCode(Eui64 device, DeviceType type, InstallCode code) {
        return new DeviceLogEntry(device, type, Optional.of(code), Optional.empty(), Instant.now());
    }

    public static DeviceLogEntry withKeyReference(Eui64 device, DeviceType type, String keyReference) {
        return new DeviceLogEntry(device, type, Optional.empty(), Optional.of(keyReference), Instant.now());
    }
}
