package org.modhub.api.wan;

/** The state of a WAN link. */
public enum LinkState {
    /** No connectivity; nothing can be sent. */
    DOWN,
    /** Attaching, registering or dialling; not yet usable. */
    CONNECTING,
    /** Usable for the head-end session. */
    UP,
    /** Usable, but impaired (weak signal, high loss, roaming, backoff); prefer another link if one is UP. */
    DEGRADED;

    /** Whether traffic may be sent over a link in this state. */
    public boolean isUsable() {
        return this == UP || this == DEGRADED;
    }
}
