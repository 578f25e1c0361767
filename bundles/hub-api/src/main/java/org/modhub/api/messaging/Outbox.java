package org.modhub.api.messaging;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The durable store-and-forward queue towards the head end, owned by hub-core. A message whose
 * enqueue returned survives a crash (kill -9, power loss) and is delivered at least once, in order
 * within its priority, over whichever head-end session is connected. When full, the oldest messages
 * are purged first and an event is logged.
 */
@ProviderType
public interface Outbox {
    /** Queues one message; it is durable when this returns. A message id already queued is ignored. */
    void enqueue(OutboundMessage message);

    /** Queues several messages atomically in one durable write. */
    void enqueueAll(List<OutboundMessage> messages);

    OutboxStats stats();
}
