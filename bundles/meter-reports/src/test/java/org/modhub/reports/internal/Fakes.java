package org.modhub.reports.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** An outbox that can simulate a crash after a durable enqueue (the shared fakes are in test-support). */
final class Fakes {
    private Fakes() {
    }

    static final class Box implements org.modhub.api.messaging.Outbox {
        final List<org.modhub.api.messaging.OutboundMessage> messages = new CopyOnWriteArrayList<>();
        volatile int crashAfterNext = -1;

        @Override
        public void enqueue(org.modhub.api.messaging.OutboundMessage m) {
            messages.add(m);
            if (crashAfterNext == 0) {
                crashAfterNext = -1;
                throw new IllegalStateException("simulated crash after the enqueue was durable");
            }
            if (crashAfterNext > 0) {
                crashAfterNext--;
            }
        }

        @Override
        public void enqueueAll(List<org.modhub.api.messaging.OutboundMessage> ms) {
            ms.forEach(this::enqueue);
        }

        @Override
        public org.modhub.api.messaging.OutboxStats stats() {
            throw new UnsupportedOperationException();
        }
    }
}
