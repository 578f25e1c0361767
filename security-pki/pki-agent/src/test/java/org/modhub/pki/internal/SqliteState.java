package org.modhub.pki.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.modhub.api.messaging.OutboundMessage;
import org.modhub.api.messaging.Outbox;
import org.modhub.api.messaging.OutboxStats;
import org.modhub.core.internal.db.Durability;
import org.modhub.core.internal.db.HubStore;
import org.modhub.core.internal.db.SqliteDatabase;
import org.modhub.core.internal.outbox.OutboxQueue;
import org.modhub.core.internal.state.SqliteStateStore;

/**
 * hub-core's SQLite state store (WAL, synchronous=FULL) over {@code hub.db} and its outbox queue
 * over {@code outbox.db} in one directory, for the crash test.
 */
final class SqliteState implements AutoCloseable {
    final SqliteDatabase db;
    final SqliteDatabase outboxDb;
    final SqliteStateStore state;
    /** hub-core's outbox queue (group commit, state rows) behind the Outbox contract. */
    final Outbox outbox;

    SqliteState(Path dir) throws Exception {
        db = SqliteDatabase.open(dir.resolve("hub.db"), Durability.FULL, true);
        outboxDb = SqliteDatabase.open(dir.resolve("outbox.db"), Durability.FULL, true);
        state = new SqliteStateStore(new HubStore() {
            @Override
            public SqliteDatabase hub() {
                return db;
            }
        });
        OutboxQueue queue = new OutboxQueue(outboxDb, 100_000, 64L << 20, null);
        outbox = new Outbox() {
            @Override
            public void enqueue(OutboundMessage message) {
                queue.enqueue(message);
            }

            @Override
            public void enqueueAll(List<OutboundMessage> messages) {
                queue.enqueueAll(messages);
            }

            @Override
            public CompletionStage<Void> enqueueAllAsync(List<OutboundMessage> messages) {
                return queue.enqueueAllAsync(messages).thenApply(ok -> null);
            }

            @Override
            public OutboxStats stats() {
                return queue.stats();
            }

            @Override
            public Optional<byte[]> state(String namespace, String key) {
                return queue.state(namespace, key);
            }

            @Override
            public CompletionStage<Boolean> compareAndSetState(String namespace, String key, byte[] expected,
                    byte[] value) {
                return queue.compareAndSetState(namespace, key, expected, value);
            }
        };
    }

    @Override
    public void close() {
        outboxDb.close();
        db.close();
    }
}
