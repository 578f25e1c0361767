package org.modhub.api.messaging;

import java.time.Instant;
import java.util.Optional;

/**
 * A snapshot of the outbox.
 *
 * @param pending messages waiting (including those in flight)
 * @param pendingBytes their payload bytes
 * @param delivered messages confirmed since start
 * @param purged messages dropped to stay within capacity since start
 * @param oldestPending creation time of the oldest waiting message
 */
public record OutboxStats(long pending, long pendingBytes, long delivered, long purged, Optional<Instant> oldestPending) {
}
