package org.modhub.api.event;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The hub's persistent, bounded event and audit log, owned by hub-core. When full, the oldest
 * entries of the same kind are dropped.
 */
@ProviderType
public interface EventLog {
    /** Logs an event; durable when this returns. Returns it with its sequence number. */
    HubEvent log(HubEvent event);

    List<HubEvent> query(EventQuery query);
}
