package org.modhub.api.event;

/** Which log an event belongs to: the operational event log or the security audit log. */
public enum EventKind {
    /** Operational events: link changes, outages, purges, device joins. */
    EVENT,
    /** Security-relevant events: refused commands, failed signatures, key and credential changes. */
    AUDIT
}
