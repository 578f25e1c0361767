package org.modhub.api.messaging;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The durable store-and-forward queue towards the head end, owned by hub-core. A message whose
 * enqueue returned survives a crash (kill -9, power loss) and is delivered at least once, in order
 * within its priority, over whichever head-end session is connected. When full, the oldest messages
 * are purged first and an event is logged.
 *
 * <p>Outbox state: small rows (a namespace, a key, a value of at most 1 KB) kept in the outbox's own
 * store and written in the same durable commits as the messages queued at the time, for state that
 * must be durable before something is answered whose answer then goes through the outbox — e.g. an
 * anti-replay counter that must be stored before a command runs, whose response follows: one
 * durable write (one fsync) carries the counters of the commands just admitted and the responses of
 * those answered, instead of one in the state store and one here. Not a general state store (use the
 * StateStore): rows are never purged with messages, and there is no listing.
 */
@ProviderType
public interface Outbox {
    /** Queues one message; it is durable when this returns. A message id already queued is ignored. */
    void enqueue(OutboundMessage message);

    /** Queues several messages atomically in one durable write. */
    void enqueueAll(List<OutboundMessage> messages);

    /**
     * Queues several messages atomically in the next durable commit, shared with the messages and
     * state writes queued meanwhile (group commit), without waiting: for a producer that must not
     * block on a commit (a pipeline stage). The stage completes, on the outbox's writer thread (keep
     * its actions short and non-blocking; a waiting {@link #enqueue} from there is refused), once they
     * are durable — or exceptionally if the commit failed, when they were not queued.
     *
     * <p>The default waits: {@link #enqueueAll} on the caller's thread (for simple outboxes, e.g.
     * test doubles); hub-core's outbox does not.
     *
     * @throws OutboxFullException at once if a message alone exceeds the outbox's capacity
     */
    default CompletionStage<Void> enqueueAllAsync(List<OutboundMessage> messages) {
        try {
            enqueueAll(messages);
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        } catch (OutboxFullException e) {
            throw e;
        } catch (RuntimeException e) {
            return java.util.concurrent.CompletableFuture.failedFuture(e);
        }
    }

    OutboxStats stats();

    /**
     * The value of an outbox state row, as last committed. The default (an outbox without state
     * rows, e.g. a test double) throws {@link UnsupportedOperationException}; hub-core's has them.
     */
    default Optional<byte[]> state(String namespace, String key) {
        throw new UnsupportedOperationException("this outbox keeps no state rows");
    }

    /**
     * Writes {@code value} to an outbox state row if its current value equals {@code expected}
     * (absent when {@code expected} is null), in the next durable commit of the outbox, shared with
     * the messages and other state writes queued meanwhile (group commit). Does not wait: the stage
     * completes, on the outbox's writer thread (keep its actions short and non-blocking), once that
     * commit is durable — with whether the value was written — or exceptionally if the commit failed.
     *
     * @throws IllegalArgumentException if the namespace or key is empty or the value is over 1 KB
     * @throws UnsupportedOperationException by the default, as {@link #state}
     */
    default CompletionStage<Boolean> compareAndSetState(String namespace, String key, byte[] expected, byte[] value) {
        throw new UnsupportedOperationException("this outbox keeps no state rows");
    }
}
