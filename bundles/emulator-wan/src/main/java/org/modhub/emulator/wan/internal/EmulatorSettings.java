package org.modhub.emulator.wan.internal;

import java.util.function.Supplier;
import org.modhub.api.wan.LinkState;

/** The validated settings of the emulated link. */
record EmulatorSettings(LinkState state, int latencyMs, int failEveryNth, int mtu, int preference) {
    static final int MAX_LATENCY_MS = 60_000;
    static final int MAX_MTU = 1 << 20;

    static final EmulatorSettings DEFAULT = new EmulatorSettings(LinkState.UP, 0, 0, 1500, 0);

    EmulatorSettings {
        if (state == null) {
            throw new IllegalArgumentException("state: must be one of UP, DOWN, CONNECTING, DEGRADED");
        }
        if (latencyMs < 0 || latencyMs > MAX_LATENCY_MS) {
            throw new IllegalArgumentException("latencyMs: out of 0.." + MAX_LATENCY_MS + ": " + latencyMs);
        }
        if (failEveryNth < 0) {
            throw new IllegalArgumentException("failEveryNth: must not be negative: " + failEveryNth);
        }
        if (mtu < 1 || mtu > MAX_MTU) {
            throw new IllegalArgumentException("mtu: out of 1.." + MAX_MTU + ": " + mtu);
        }
    }

    /**
     * Reads and checks a configuration. Values that cannot be converted (e.g. {@code latencyMs="abc"}) or
     * are out of range are reported with the PID and the field.
     *
     * @throws IllegalArgumentException naming the PID and the field
     */
    static EmulatorSettings from(EmulatedWanConfig config, String pid) {
        try {
            return new EmulatorSettings(get(config::state, "state"), get(config::latencyMs, "latencyMs"),
                    get(config::failEveryNth, "failEveryNth"), get(config::mtu, "mtu"),
                    get(config::headend_preference, "headend.preference"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid configuration " + pid + ": " + e.getMessage(), e);
        }
    }

    private static <T> T get(Supplier<T> value, String field) {
        try {
            return value.get();
        } catch (RuntimeException e) { // SCR's conversion of the raw property failed
            throw new IllegalArgumentException(field + ": cannot be converted: " + e.getMessage(), e);
        }
    }
}
