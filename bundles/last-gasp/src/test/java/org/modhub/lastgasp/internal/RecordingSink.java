package org.modhub.lastgasp.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.modhub.api.event.Severity;
import org.modhub.api.messaging.Envelope;

/** Keeps what the tracker persists (as bytes, like the StateStore), logs and sends. */
class RecordingSink implements OutageTracker.Sink {
    record Sent(Envelope alert, int priority, java.time.Instant at) {
    }

    record Logged(String code, Severity severity, String detail) {
    }

    final List<Sent> alerts = new ArrayList<>();
    final List<Logged> events = new ArrayList<>();
    byte[] stored;
    int writes;
    ManualScheduler clock;
    boolean failAlerts;
    /** Whether prepare() prepares (as the router does) or returns null (no router preparation). */
    boolean prepareAlerts;
    final List<org.modhub.api.messaging.PreparedAlert> prepared = new ArrayList<>();
    final List<org.modhub.api.messaging.PreparedAlert> preparedSent = new ArrayList<>();

    @Override
    public org.modhub.api.messaging.PreparedAlert prepare(Envelope alert, java.time.Instant due) {
        if (!prepareAlerts) {
            return null;
        }
        Envelope stamped = new Envelope(alert.messageId(), alert.type(), alert.originator(), due.toEpochMilli() * 1000,
                alert.recipient(), alert.dateTime(), alert.messageCode(), alert.payload());
        org.modhub.api.messaging.PreparedAlert p = new org.modhub.api.messaging.PreparedAlert(stamped,
                org.modhub.api.messaging.EnvelopeCodec.encode(stamped), false);
        prepared.add(p);
        return p;
    }

    @Override
    public void alert(org.modhub.api.messaging.PreparedAlert p, int priority) {
        if (failAlerts) {
            throw new IllegalStateException("outbox unavailable");
        }
        preparedSent.add(p);
        alerts.add(new Sent(p.envelope(), priority, clock == null ? null : clock.now()));
    }

    @Override
    public void persist(OutageRecord record) {
        stored = record.encode();
        writes++;
    }

    @Override
    public void clear() {
        stored = null;
        writes++;
    }

    @Override
    public void event(String code, Severity severity, String detail) {
        events.add(new Logged(code, severity, detail));
    }

    @Override
    public void alert(Envelope alert, int priority) {
        if (failAlerts) {
            throw new IllegalStateException("outbox unavailable");
        }
        alerts.add(new Sent(alert, priority, clock == null ? null : clock.now()));
    }

    Optional<OutageRecord> storedRecord() throws OutageRecord.MalformedRecordException {
        return stored == null ? Optional.empty() : Optional.of(OutageRecord.decode(stored));
    }

    List<String> codes() {
        return events.stream().map(Logged::code).toList();
    }
}
