package org.modhub.api.event;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.modhub.api.common.Eui64;

/**
 * An entry of the event or audit log.
 *
 * @param sequence position in the log, assigned when logged (0 before)
 * @param time when it happened, UTC
 * @param kind event or audit
 * @param code a stable upper-case code, e.g. {@code OUTBOX_PURGED}, {@code JOIN_REFUSED}
 * @param severity severity
 * @param device the device concerned, if any
 * @param source the component that logged it, e.g. {@code hub-core/outbox}
 * @param detail human-readable detail
 */
public record HubEvent(long sequence, Instant time, EventKind kind, String code, Severity severity,
        Optional<Eui64> device, String source, String detail) {
    public HubEvent {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(kind, "kind");
        if (code == null || !code.matches("[A-Z0-9_]{1,64}")) {
            throw new IllegalArgumentException("event code must be 1..64 of A-Z, 0-9, _: '" + code + "'");
        }
        Objects.requireNonNull(severity, "severity");
        device = device == null ? Optional.empty() : device;
        source = source == null ? "" : source;
        detail = detail == null ? "" : detail;
    }

    /** A new event happening now, not yet logged. */
    public static HubEvent of(EventKind kind, String code, Severity severity, Eui64 device, String source,
            String detail) {
        return new HubEvent(0, Instant.now(), kind, code, severity, Optional.ofNullable(device), source, detail);
    }
}
