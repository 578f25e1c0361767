package org.modhub.headend.kura.internal;

import java.util.Map;
import org.modhub.api.event.Severity;

/** What a {@link KuraSession} needs from its surroundings (the DS component, or a unit test). */
interface SessionHost {
    enum Level { DEBUG, INFO, WARN, ERROR }

    void log(Level level, String message);

    /** Logs a hub event (event log, not audit). */
    void event(String code, Severity severity, String detail);

    /** Metrics about the hub and its link for BIRTH and APPS, besides the session's own. */
    Map<String, Object> hubMetrics();

    /** The hub's TLS identity (PKI agent), if one is there now. */
    default org.modhub.api.security.TlsIdentity tlsIdentity() {
        return null;
    }
}
