package org.modhub.pki.internal;

import java.util.ArrayList;
import java.util.List;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.EventQuery;
import org.modhub.api.event.HubEvent;

/** An EventLog in memory. */
final class MemoryEventLog implements EventLog {
    final List<HubEvent> events = new ArrayList<>();

    @Override
    public synchronized HubEvent log(HubEvent e) {
        HubEvent logged = new HubEvent(events.size() + 1, e.time(), e.kind(), e.code(), e.severity(), e.device(),
                e.source(), e.detail());
        events.add(logged);
        return logged;
    }

    @Override
    public synchronized List<HubEvent> query(EventQuery q) {
        return List.copyOf(events);
    }

    synchronized int size() {
        return events.size();
    }

    synchronized HubEvent last() {
        return events.get(events.size() - 1);
    }
}
