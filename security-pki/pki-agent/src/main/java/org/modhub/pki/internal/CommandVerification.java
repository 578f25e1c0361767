package org.modhub.pki.internal;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.modhub.api.common.Eui64;
import org.modhub.api.messaging.Envelope;
import org.modhub.api.messaging.MalformedMessageException;
import org.modhub.api.messaging.Outbox;
import org.modhub.api.messaging.MessageType;
import org.modhub.api.security.CommandVerifier;
import org.modhub.api.security.KeyUse;
import org.modhub.api.security.RemotePartyRole;
import org.modhub.api.security.SecurityCheckException;
import org.modhub.api.security.SecurityCheckException.Reason;
import org.modhub.api.security.SignedEnvelopeCodec;
import org.modhub.api.security.SignedEnvelopeCodec.SignedEnvelope;
import org.modhub.api.store.StateStore;

/**
 * The command verifier's checks (see {@link org.modhub.api.security.CommandVerifier}): everything is
 * checked first ({@link #check}, stateless, concurrent), and only then is the originator counter
 * advanced ({@link #accept}, in arrival order per originator). Each refusal is written to the audit
 * log.
 *
 * <p>Anti-replay with group commit: {@code accept} reserves the counter in memory at once (so the
 * next command of the originator is judged against it) and hands the durable write to one writer
 * thread; the stage it returns completes only when a compare-and-set in the state store has stored
 * a value at least as high. Commands that arrive while a write is in flight are covered by the next
 * one: one commit per originator per round, however many commands it covers. A reserved counter
 * that never got stored (crash, store failure) only refuses more: its command never took effect and
 * the head end may send it again after a restart, when the stored value is the reference again.
 *
 * <p>With the outbox ({@link #commitCountersWith}, the hub's way): the counters are outbox state rows
 * ({@link Outbox#compareAndSetState}), written in the outbox's own group commits — the same durable
 * write that carries the responses to earlier commands, one fsync for both instead of one in the
 * state store and one in the outbox — with no writer thread of the agent: one compare-and-set in
 * flight per originator, the next one (covering the commands reserved meanwhile) sent when it
 * completed. A counter stored in the state store by an agent without the outbox still counts: the
 * last accepted value is the higher of the two.
 */
public final class CommandVerification {
    public static final String COUNTERS = "org.modhub.pki.counters";

    private final Eui64 hubId;
    private final TrustState trust;
    private final Policy policy;
    private final StateStore state;
    private final SecurityEvents events;
    private final Supplier<Instant> clock;
    private final Duration validity;
    private final int maxBytes;
    /** Per originator: reserved and stored counters and the commands waiting for their write. */
    private final Map<Eui64, Counter> counters = new LinkedHashMap<>();
    /** One writer thread, started on demand, gone after a few idle seconds. */
    private final ThreadPoolExecutor writer = new ThreadPoolExecutor(1, 1, 5, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "modhub-pki-counters");
                t.setDaemon(true);
                return t;
            });
    private boolean writing;
    /** When set, the counters are outbox state rows, committed with the outbox's messages. */
    private Outbox outbox;
    private boolean accepted;

    public CommandVerification(Eui64 hubId, TrustState trust, Policy policy, StateStore state, SecurityEvents events,
            Supplier<Instant> clock, Duration validity, int maxBytes) {
        this.hubId = hubId;
        this.trust = trust;
        this.policy = policy;
        this.state = state;
        this.events = events;
        this.clock = clock;
        this.validity = validity;
        this.maxBytes = maxBytes;
    }

    public Policy policy() {
        return policy;
    }

    /**
     * Stores the originator counters as outbox state rows from now on, committed with the outbox's
     * messages; before the first command is accepted.
     *
     * @throws IllegalStateException if a command was accepted already
     * @throws UnsupportedOperationException if the outbox keeps no state rows
     */
    public void commitCountersWith(Outbox outbox) {
        outbox.state(COUNTERS, "-"); // an outbox without state rows throws here, not on a command
        synchronized (counters) {
            if (accepted) {
                throw new IllegalStateException("the counter store is chosen before the first command");
            }
            this.outbox = java.util.Objects.requireNonNull(outbox);
        }
    }

    {
        writer.allowCoreThreadTimeOut(true);
    }

    /** Both steps, waited for. */
    public Envelope verify(byte[] bytes) throws SecurityCheckException {
        CompletableFuture<Envelope> done = accept(check(bytes)).toCompletableFuture();
        try {
            return done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the originator counter was stored", e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof SecurityCheckException s) {
                throw s;
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The first step: every check but the counter; refusals are audited. */
    public CommandVerifier.Checked check(byte[] bytes) throws SecurityCheckException {
        try {
            Envelope command = checkAllButCounter(bytes);
            return new Checked(this, bytes.clone(), command);
        } catch (SecurityCheckException e) {
            events.refused("command", e, originatorOf(bytes));
            throw e;
        }
    }

    /**
     * The second step, in arrival order per originator: refuses a counter not above the last one
     * reserved, reserves it, and completes once it is stored.
     */
    public CompletionStage<Envelope> accept(CommandVerifier.Checked checked) {
        Checked mine;
        if (checked instanceof Checked c && c.owner == this) {
            mine = c;
        } else {
            try { // not one of ours: check everything again
                mine = (Checked) check(checked.bytes());
            } catch (SecurityCheckException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        Envelope command = mine.command;
        Eui64 originator = command.originator();
        long value = command.originatorCounter();
        CompletableFuture<Envelope> stored = new CompletableFuture<>();
        boolean startWriter;
        Counter send = null;
        long sendBefore = 0;
        long sendTarget = 0;
        Outbox o;
        synchronized (counters) {
            accepted = true;
            o = outbox;
            Counter c = counters.get(originator);
            if (c == null) {
                long last;
                long inOutbox = -1;
                try {
                    last = counterValue(state.get(COUNTERS, originator.toHex()));
                    if (o != null) {
                        inOutbox = counterValue(o.state(COUNTERS, originator.toHex()));
                    }
                } catch (RuntimeException e) {
                    return CompletableFuture.failedFuture(e);
                }
                c = new Counter(Math.max(last, inOutbox));
                c.inOutbox = inOutbox;
                counters.put(originator, c);
            }
            if (value <= c.reserved) {
                SecurityCheckException e = new SecurityCheckException(Reason.REPLAYED_COUNTER, "originator counter "
                        + value + " is not above the last accepted " + c.reserved + " from " + originator);
                events.refused("command", e, originator);
                return CompletableFuture.failedFuture(e);
            }
            c.reserved = value;
            c.waiting.add(new Waiter(value, command, stored));
            if (o != null) {
                startWriter = false;
                if (!c.inFlight) {
                    c.inFlight = true;
                    send = c;
                    sendBefore = c.inOutbox;
                    sendTarget = c.reserved;
                }
            } else {
                startWriter = !writing;
                writing = true;
            }
        }
        if (startWriter) {
            writer.execute(this::writeWhileReserved);
        }
        if (send != null) {
            writeToOutbox(o, originator, send, sendBefore, sendTarget);
        }
        return stored;
    }

    /**
     * One compare-and-set of an originator's counter into the outbox's next commit ({@code before}
     * the value it holds there, -1 for none); when it is durable, the commands it covers go on and
     * the next one is sent if more were reserved meanwhile. Runs on the outbox's writer thread.
     */
    private void writeToOutbox(Outbox o, Eui64 originator, Counter c, long before, long target) {
        CompletionStage<Boolean> write;
        try {
            write = o.compareAndSetState(COUNTERS, originator.toHex(),
                    counterBytes(before), counterBytes(target));
        } catch (RuntimeException e) {
            written(o, originator, c, target, false, e);
            return;
        }
        write.whenComplete((ok, failure) -> written(o, originator, c, target, Boolean.TRUE.equals(ok), failure));
    }

    private void written(Outbox o, Eui64 originator, Counter c, long target, boolean ok, Throwable failure) {
        List<Waiter> done = new ArrayList<>();
        long nextBefore = 0;
        long nextTarget = -1;
        synchronized (counters) {
            c.inFlight = false;
            if (ok) {
                c.stored = Math.max(c.stored, target);
                c.inOutbox = target;
                for (Iterator<Waiter> i = c.waiting.iterator(); i.hasNext();) {
                    Waiter w = i.next();
                    if (w.counter <= target) {
                        done.add(w);
                        i.remove();
                    }
                }
                if (!c.waiting.isEmpty()) {
                    c.inFlight = true;
                    nextBefore = c.inOutbox;
                    nextTarget = c.reserved;
                }
            } else {
                // changed behind our back (or the commit failed): judge from the stores again
                if (counters.get(originator) == c) {
                    counters.remove(originator);
                }
                done.addAll(c.waiting);
                c.waiting.clear();
            }
        }
        complete(done, originator, ok, failure);
        if (nextTarget >= 0) {
            writeToOutbox(o, originator, c, nextBefore, nextTarget);
        }
    }

    private void complete(List<Waiter> done, Eui64 originator, boolean written, Throwable failure) {
        for (Waiter w : done) {
            if (written) {
                w.stored.complete(w.command);
            } else if (failure != null) {
                w.stored.completeExceptionally(failure instanceof java.util.concurrent.CompletionException
                        && failure.getCause() != null ? failure.getCause() : failure);
            } else {
                SecurityCheckException x = new SecurityCheckException(Reason.REPLAYED_COUNTER,
                        "originator counter of " + originator + " changed concurrently");
                events.refused("command", x, originator);
                w.stored.completeExceptionally(x);
            }
        }
    }

    /**
     * The writer: stores the highest reserved counter of every originator with commands waiting, one
     * compare-and-set each, completes the commands it covers, and goes on while more were reserved.
     */
    private void writeWhileReserved() {
        while (true) {
            Map<Eui64, long[]> round = new LinkedHashMap<>(); // originator -> {stored, target}
            synchronized (counters) {
                for (Map.Entry<Eui64, Counter> e : counters.entrySet()) {
                    Counter c = e.getValue();
                    if (!c.waiting.isEmpty()) {
                        round.put(e.getKey(), new long[] {c.stored, c.reserved});
                    }
                }
                if (round.isEmpty()) {
                    writing = false;
                    return;
                }
            }
            for (Map.Entry<Eui64, long[]> e : round.entrySet()) {
                Eui64 originator = e.getKey();
                long before = e.getValue()[0];
                long target = e.getValue()[1];
                RuntimeException failure = null;
                boolean written;
                try {
                    written = state.compareAndSet(COUNTERS, originator.toHex(),
                            counterBytes(before), counterBytes(target));
                } catch (RuntimeException x) {
                    failure = x;
                    written = false;
                }
                List<Waiter> done = new ArrayList<>();
                synchronized (counters) {
                    Counter c = counters.get(originator);
                    for (Iterator<Waiter> i = c.waiting.iterator(); i.hasNext();) {
                        Waiter w = i.next();
                        if (w.counter <= target) {
                            done.add(w);
                            i.remove();
                        }
                    }
                    if (written) {
                        c.stored = target;
                    } else {
                        // changed behind our back (or the store failed): judge from the store again
                        counters.remove(originator);
                        if (!c.waiting.isEmpty()) {
                            done.addAll(c.waiting);
                            c.waiting.clear();
                        }
                    }
                }
                complete(done, originator, written, failure);
            }
        }
    }

    /**
     * For the agent going away: nothing to stop. The writer thread ends by itself after a few idle
     * seconds (so a command still in flight is written, never left waiting on a stopped writer).
     */
    public void close() {
        // the writer is never shut down: an accept after close still completes
    }

    private static final class Counter {
        long reserved;
        long stored;
        /** With the outbox: the value of its state row (-1: none), and whether a write of it is in flight. */
        long inOutbox = -1;
        boolean inFlight;
        final List<Waiter> waiting = new ArrayList<>();

        Counter(long stored) {
            this.reserved = stored;
            this.stored = stored;
        }
    }

    private record Waiter(long counter, Envelope command, CompletableFuture<Envelope> stored) {
    }

    /** A command that passed {@link #check}, tied to the verification that checked it. */
    private static final class Checked implements CommandVerifier.Checked {
        final CommandVerification owner;
        final byte[] bytes;
        final Envelope command;

        Checked(CommandVerification owner, byte[] bytes, Envelope command) {
            this.owner = owner;
            this.bytes = bytes;
            this.command = command;
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }
    }

    /** A stored counter value (8 bytes, big-endian), -1 for none. */
    private static long counterValue(java.util.Optional<byte[]> stored) {
        return stored.map(b -> ByteBuffer.wrap(b).getLong()).orElse(-1L);
    }

    /** The stored form of a counter value; null for -1 (none stored yet). */
    private static byte[] counterBytes(long value) {
        return value < 0 ? null : ByteBuffer.allocate(8).putLong(value).array();
    }

    /** The originator field of (possibly malformed) bytes, for the audit log. */
    private static Eui64 originatorOf(byte[] bytes) {
        return bytes != null && bytes.length >= 18 ? Eui64.of(ByteBuffer.wrap(bytes, 10, 8).getLong()) : null;
    }

    private Envelope checkAllButCounter(byte[] bytes) throws SecurityCheckException {
        if (bytes == null) {
            throw new SecurityCheckException(Reason.MALFORMED, "no bytes");
        }
        if (bytes.length > maxBytes) {
            throw new SecurityCheckException(Reason.OVERSIZED, bytes.length + " bytes, at most " + maxBytes);
        }
        SignedEnvelope signed;
        try {
            signed = SignedEnvelopeCodec.decode(bytes);
        } catch (MalformedMessageException e) {
            throw new SecurityCheckException(Reason.MALFORMED, e.getMessage(), e);
        }
        Envelope command = signed.envelope();
        int code = command.messageCode();
        if (command.type() != MessageType.COMMAND) {
            throw new SecurityCheckException(Reason.NOT_A_COMMAND, "CRA flag says " + command.type());
        }
        if (!command.recipient().equals(hubId)) {
            throw new SecurityCheckException(Reason.WRONG_RECIPIENT, "recipient " + command.recipient()
                    + " is not this hub " + hubId);
        }
        Instant now = clock.get();
        Duration skew = Duration.between(now, command.dateTime()).abs();
        if (skew.compareTo(validity) > 0) {
            throw new SecurityCheckException(Reason.STALE_DATE_TIME, "date-time " + command.dateTime()
                    + " outside the validity window of " + validity.toSeconds() + " s");
        }
        Eui64 originator = command.originator();
        Optional<Certificates.Info> cert = trust.certificate(originator, KeyUse.DIGITAL_SIGNATURE);
        if (cert.isEmpty()) {
            throw new SecurityCheckException(Reason.UNKNOWN_ORIGINATOR, originator + " has no signing certificate");
        }
        if (!trust.whitelisted(originator)) {
            throw new SecurityCheckException(Reason.NOT_WHITELISTED, originator + " is not whitelisted");
        }
        trust.validate(cert.get(), now);
        boolean permitted = false;
        for (RemotePartyRole r : policy.rolesFor(code)) {
            permitted |= cert.get().roles().contains(r);
        }
        if (!permitted) {
            throw new SecurityCheckException(Reason.ROLE_NOT_PERMITTED, String.format(
                    "%s with roles %s may not issue code 0x%04X (needs one of %s)", originator, cert.get().roles(), code,
                    policy.rolesFor(code)));
        }
        if (!Crypto.verify(cert.get().publicKey(), signed.signedBytes(), signed.signature())) {
            throw new SecurityCheckException(Reason.BAD_SIGNATURE, "signature of " + command.messageId() + " from "
                    + originator + " does not verify");
        }
        String violation = policy.rangeViolation(code, command.payload());
        if (violation != null) {
            throw new SecurityCheckException(Reason.VALUE_OUT_OF_RANGE, String.format("code 0x%04X: %s", code, violation));
        }
        return command;
    }
}
