package org.modhub.api.han;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The in-home displays of a HAN (IHDs, prepayment displays, consumer access devices), registered by
 * the HAN bundle that serves them, with the service property {@link HanNetwork#TECHNOLOGY}. For ZigBee
 * Smart Energy, prices go out through the price cluster (0x0700) and texts through the messaging
 * cluster (0x0703).
 */
@ProviderType
public interface HanDisplays {
    /**
     * Publishes a price to every display on the network and keeps it for displays that ask later.
     *
     * @return completes with the number of displays it was sent to
     */
    CompletionStage<Integer> publishPrice(DisplayPrice price);

    /**
     * Shows a text on every display.
     *
     * @param messageId the message's id (unsigned 32 bits)
     * @param text at most 254 octets of UTF-8
     * @param duration how long the displays show it (whole minutes, at least one)
     * @return completes with the number of displays that confirmed the message
     */
    CompletionStage<Integer> displayMessage(long messageId, String text, Duration duration);
}
