package org.modhub.api.han;

import java.time.Instant;
import java.util.Optional;
import org.modhub.api.common.Eui64;
import org.osgi.annotation.versioning.ProviderType;

/** A device on a HAN, as its HAN network sees it. */
@ProviderType
public interface HanDevice {
    Eui64 id();

    DeviceType type();

    /** Whether the device sleeps and must be messaged when it polls (battery gas meters). */
    boolean isSleepy();

    /** When the hub last heard from the device, if ever. */
    Optional<Instant> lastContact();

    /** The technology of the network the device is on, as {@link HanNetwork#technology()}. */
    String technology();
}
