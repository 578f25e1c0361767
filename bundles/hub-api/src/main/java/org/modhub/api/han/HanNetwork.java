package org.modhub.api.han;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.modhub.api.common.Eui64;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A home-area network the hub coordinates (ZigBee Smart Energy, wired or wireless M-Bus), registered
 * as a service by the bundle that drives it, with the service property {@link #TECHNOLOGY}.
 * Only devices in the {@link DeviceLog} may join or be messaged.
 */
@ProviderType
public interface HanNetwork {
    /** Service property: technology name, e.g. "zigbee-se", "mbus", "wmbus" (String). */
    String TECHNOLOGY = "han.technology";

    String technology();

    HanNetworkState state();

    /** Forms a new network, or restores the one from before a restart. */
    CompletionStage<HanNetworkState> formOrRestore();

    /**
     * Opens joining for one device of the device log for a while. Every join by a device that is not
     * in the device log is refused and logged.
     *
     * @throws UnknownDeviceException if the device is not in the device log
     */
    void permitJoining(Eui64 device, Duration duration) throws UnknownDeviceException;

    /** Devices currently on the network. */
    List<HanDevice> devices();

    Optional<HanDevice> device(Eui64 id);

    /**
     * Sends an application payload to a device (for ZigBee SE, through the tunneling cluster; the
     * payload is carried unchanged). For a sleepy device the payload waits until the device polls.
     *
     * @param device a device in the device log
     * @param payload the bytes
     * @param expiry how long the message may wait for a sleepy device
     * @return completes when the device acknowledged it; completes exceptionally with
     *         {@link MessageExpiredException} if it expired, {@link UnknownDeviceException} if the
     *         device is not in the device log
     */
    CompletionStage<Instant> send(Eui64 device, byte[] payload, Duration expiry);

    /** Number of messages waiting for sleepy devices. */
    int queuedForSleepy();
}
