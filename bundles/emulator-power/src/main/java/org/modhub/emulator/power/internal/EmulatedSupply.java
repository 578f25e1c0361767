package org.modhub.emulator.power.internal;

import java.time.Instant;
import java.util.Objects;
import java.util.function.Consumer;
import org.modhub.api.power.PowerState;
import org.modhub.api.power.PowerStatus;

/** The emulated supply's state; every change is reported to the listener, in order, on the caller's thread. */
final class EmulatedSupply {
    private final Consumer<PowerStatus> listener;
    private PowerStatus status;

    EmulatedSupply(PowerState initial, Consumer<PowerStatus> listener) {
        this.listener = Objects.requireNonNull(listener);
        this.status = new PowerStatus(initial, Instant.now(), 0);
    }

    synchronized PowerStatus status() {
        return status;
    }

    /** Sets the state; returns whether it changed. */
    synchronized boolean set(PowerState state) {
        if (status.state() == state) {
            return false;
        }
        status = new PowerStatus(state, Instant.now(), status.changes() + 1);
        listener.accept(status);
        return true;
    }

    /** {@code count} times: off for {@code offMs}, then on for {@code onMs}. */
    void flap(int count, long offMs, long onMs) throws InterruptedException {
        for (int i = 0; i < count; i++) {
            set(PowerState.OFF);
            Thread.sleep(offMs);
            set(PowerState.ON);
            Thread.sleep(onMs);
        }
    }
}
