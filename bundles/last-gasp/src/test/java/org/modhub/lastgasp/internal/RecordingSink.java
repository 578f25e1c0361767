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
