package org.modhub.pki.internal;

import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.HubEvent;
import org.modhub.api.event.Severity;
import org.modhub.api.security.SecurityCheckException;

/** Writes the PKI agent's security events to the audit log. */
public final class SecurityEvents {
    public static final String SOURCE = "security-pki";
    private final EventLog events;

    public SecurityEvents(EventLog events) {
        this.events = events;
    }

    /** A refusal: code {@code SECURITY_<REASON>}. */
    public void refused(String what, SecurityCheckException e, Eui64 party) {
        log("SECURITY_" + e.reason().name(), Severity.WARNING, party, what + ": " + e.getMessage());
    }

    public void log(String code, Severity severity, Eui64 party, String detail) {
        try {
            events.log(HubEvent.of(EventKind.AUDIT, code, severity, party, SOURCE, detail));
        } catch (RuntimeException ignored) {
            // the audit log being unavailable must not turn a refusal into an acceptance
        }
    }
}
