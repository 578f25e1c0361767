package org.modhub.api.han;

import java.time.Instant;
import org.modhub.api.common.Eui64;

/** A message queued for a sleepy device expired before the device polled. */
public class MessageExpiredException extends Exception {
    private static final long serialVersionUID = 1L;

    public MessageExpiredException(Eui64 device, Instant expiredAt) {
        super("message for " + device + " expired at " + expiredAt + " before the device polled");
    }
}
