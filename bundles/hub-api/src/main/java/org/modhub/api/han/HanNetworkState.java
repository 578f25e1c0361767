package org.modhub.api.han;

/** State of a HAN network. */
public enum HanNetworkState {
    /** No network: coordinator absent or not formed. */
    DOWN,
    /** Forming a new network or restoring the previous one. */
    FORMING,
    /** Formed and serving devices. */
    UP,
    /** Serving, but impaired (e.g. coordinator resets, channel noise). */
    DEGRADED
}
