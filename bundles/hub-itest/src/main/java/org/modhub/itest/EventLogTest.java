package org.modhub.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.EventQuery;
import org.modhub.api.event.HubEvent;
import org.modhub.api.event.Severity;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.service.ServiceExtension;

/** The event log keeps what is logged and finds it again by code, kind and time. */
@ExtendWith(ServiceExtension.class)
class EventLogTest {
    @InjectService(timeout = 30_000)
    EventLog eventLog;

    @Test
    void loggedEventIsQueryableByCodeAndTime() {
        String code = "ITEST_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12).toUpperCase();
        Instant before = Instant.now().minusSeconds(1);
        HubEvent logged = eventLog.log(HubEvent.of(EventKind.EVENT, code, Severity.WARNING, null, "hub-itest",
                "integration test probe"));
        Instant after = Instant.now().plusSeconds(1);
        assertTrue(logged.sequence() > 0, "a logged event gets a sequence number: " + logged);
        assertEquals(code, logged.code());

        List<HubEvent> found = eventLog.query(new EventQuery(before, after, Set.of(code), Optional.empty(), 10));
        assertEquals(1, found.size(), "found " + found);
        HubEvent e = found.get(0);
        assertEquals(logged.sequence(), e.sequence());
        assertEquals(EventKind.EVENT, e.kind());
        assertEquals(Severity.WARNING, e.severity());
        assertEquals("hub-itest", e.source());
        assertEquals("integration test probe", e.detail());

        assertEquals(1, eventLog.query(new EventQuery(before, after, Set.of(code), Optional.of(EventKind.EVENT), 10)).size());
        assertTrue(eventLog.query(new EventQuery(before, after, Set.of(code), Optional.of(EventKind.AUDIT), 10)).isEmpty(),
                "wrong kind must not match");
        assertTrue(eventLog.query(new EventQuery(Instant.EPOCH, before.minusSeconds(60), Set.of(code), Optional.empty(), 10))
                .isEmpty(), "earlier window must not match");
        assertTrue(eventLog.query(EventQuery.latest(1000)).stream().anyMatch(x -> x.code().equals(code)),
                "latest() finds it");
    }
}
