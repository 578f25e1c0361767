package org.modhub.testing.memory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.EventQuery;
import org.modhub.api.event.HubEvent;

/**
 * An {@link EventLog} in memory for unit tests: {@link #events} in the order logged; {@link #query} follows
 * the contract of {@link EventQuery} (time window, codes, kind, newest first, at most limit).
 */
public final class MemoryEventLog implements EventLog {
    /** Every event logged, oldest first. */
    public final List<HubEvent> events = new CopyOnWriteArrayList<>();

    @Override
    public HubEvent log(HubEvent event) {
        events.add(event);
        return event;
    }

    @Override
    public List<HubEvent> query(EventQuery q) {
        List<HubEvent> out = new ArrayList<>();
        for (HubEvent e : events) {
            if (!e.time().isBefore(q.from()) && e.time().isBefore(q.to())
                    && (q.codes().isEmpty() || q.codes().contains(e.code()))
                    && q.kind().map(k -> k == e.kind()).orElse(true)) {
                out.add(0, e);
            }
        }
        return out.size() > q.limit() ? List.copyOf(out.subList(0, q.limit())) : out;
    }

    /** How many events with this code were logged. */
    public long count(String code) {
        return events.stream().filter(e -> e.code().equals(code)).count();
    }

    /** Whether an event with this code was logged. */
    public boolean has(String code) {
        return count(code) > 0;
    }

    /** The codes of the events logged, oldest first. */
    public List<String> codes() {
        return events.stream().map(HubEvent::code).toList();
    }
}
