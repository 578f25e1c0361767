package org.modhub.api.event;

/** Severity of a hub event. */
public enum Severity {
    DEBUG,
    INFO,
    WARNING,
    ERROR,
    CRITICAL
}
