package org.modhub.lastgasp.internal;

import java.time.Duration;
import java.time.Instant;

/** Time and timers for the outage tracker: the system clock in the hub, a manual one in tests. */
public interface Scheduler {
    /** Wall-clock time, UTC. */
    Instant now();

    /** Runs {@code task} once after {@code delay} (at once when zero or negative). */
    Cancellable schedule(Duration delay, Runnable task);

    /** A scheduled task that can be cancelled. */
    @FunctionalInterface
    interface Cancellable {
        void cancel();
    }
}
