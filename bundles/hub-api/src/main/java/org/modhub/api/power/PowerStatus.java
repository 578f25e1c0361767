package org.modhub.api.power;

import java.time.Instant;
import java.util.Objects;

/**
 * A power state with the instant the monitor saw it begin.
 *
 * @param state ON or OFF
 * @param since when the monitor observed the change into this state (UTC); for the state found at
 *        start, when the monitor started
 * @param changes how many state changes the monitor has observed since it started (0 for the
 *        initial state); lets a consumer notice transitions it did not see one by one
 */
public record PowerStatus(PowerState state, Instant since, long changes) {
    public PowerStatus {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(since, "since");
        if (changes < 0) {
            throw new IllegalArgumentException("changes is negative: " + changes);
        }
    }
}
