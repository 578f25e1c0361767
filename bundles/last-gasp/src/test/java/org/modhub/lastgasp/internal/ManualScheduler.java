package org.modhub.lastgasp.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** A scheduler whose clock moves only when the test says so. */
final class ManualScheduler implements Scheduler {
    private Instant now;
    private final List<Task> tasks = new ArrayList<>();
    private long seq;

    private final class Task implements Cancellable {
        final Instant due;
        final long order = seq++;
        final Runnable run;

        Task(Instant due, Runnable run) {
            this.due = due;
            this.run = run;
        }

        @Override
        public void cancel() {
            tasks.remove(this);
        }
    }

    ManualScheduler(Instant start) {
        this.now = start;
    }

    @Override
    public synchronized Instant now() {
        return now;
    }

    @Override
    public synchronized Cancellable schedule(Duration delay, Runnable task) {
        Task t = new Task(delay.isNegative() ? now : now.plus(delay), task);
        tasks.add(t);
        return t;
    }

    /** Moves the clock forward, running every task that falls due on the way, in order. */
    void advance(Duration d) {
        Instant end = now.plus(d);
        while (true) {
            Task next;
            synchronized (this) {
                next = tasks.stream().filter(t -> !t.due.isAfter(end))
                        .min(Comparator.comparing((Task t) -> t.due).thenComparingLong(t -> t.order)).orElse(null);
                if (next == null) {
                    now = end;
                    return;
                }
                tasks.remove(next);
                if (next.due.isAfter(now)) {
                    now = next.due;
                }
            }
            next.run.run();
        }
    }

    /** Due instants of the pending tasks. */
    synchronized List<Instant> pending() {
        return tasks.stream().map(t -> t.due).sorted().toList();
    }
}
