package org.modhub.api.metering;

import java.time.Instant;
import java.util.Objects;
import org.modhub.api.common.Eui64;

/**
 * Selects readings or samples of one measurand of one device in the half-open range
 * {@code [from, to)}, oldest first, at most {@code limit}.
 */
public record ReadingQuery(Eui64 device, ObisCode measurand, Instant from, Instant to, int limit) {
    public ReadingQuery {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(measurand, "measurand");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
        if (to.isBefore(from)) {
            throw new IllegalArgumentException("range ends before it starts: " + from + " .. " + to);
        }
    }
}
