package org.modhub.mbus.link.internal;

import java.time.Instant;
import java.util.Optional;
import org.modhub.api.common.Eui64;
import org.modhub.api.han.DeviceType;
import org.modhub.api.han.HanDevice;

/** A meter heard on an M-Bus network (wired meters are polled; wireless ones push). */
record MbusDevice(Eui64 id, DeviceType type, String technology, Optional<Instant> lastContact) implements HanDevice {
    @Override
    public boolean isSleepy() {
        return false;
    }
}
