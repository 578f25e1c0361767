package org.modhub.api.gas;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;

/**
 * An entry of one of the mirror's small logs: a billing snapshot (volume register), a prepayment
 * top-up or a debt payment (amount in minor currency units).
 *
 * @param kind which log
 * @param at when it happened, UTC
 * @param value the register (m³) for billing snapshots, the amount (minor units) otherwise
 * @param reference a reference such as a top-up UTRN or a debt register name (may be empty)
 */
public record LogEntry(Kind kind, Instant at, BigDecimal value, String reference) {
    /** The mirror's small logs and their sizes (GBCS GPF defaults). */
    public enum Kind {
        BILLING_SNAPSHOT(12),
        TOP_UP(5),
        DEBT_PAYMENT(10);

        private final int capacity;

        Kind(int capacity) {
            this.capacity = capacity;
        }

        /** Entries kept; the oldest go first. */
        public int capacity() {
            return capacity;
        }
    }

    public LogEntry {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(value, "value");
        if (value.signum() < 0) {
            throw new IllegalArgumentException("log values are not negative: " + value);
        }
        reference = reference == null ? "" : reference;
        if (reference.length() > 64) {
            throw new IllegalArgumentException("reference longer than 64 characters");
        }
    }
}
