package org.modhub.api.event;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Selects events in {@code [from, to)}, of the given codes (all if empty) and kind (both if empty),
 * newest first, at most {@code limit}.
 */
public record EventQuery(Instant from, Instant to, Set<String> codes, Optional<EventKind> kind, int limit) {
    public EventQuery {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        codes = codes == null ? Set.of() : Set.copyOf(codes);
        kind = kind == null ? Optional.empty() : kind;
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
    }

    /** The newest {@code limit} events of any code and kind. */
    public static EventQuery latest(int limit) {
        return new EventQuery(Instant.EPOCH, Instant.MAX, Set.of(), Optional.empty(), limit);
    }
}
