package org.modhub.gprs.internal.at;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One AT command at a time over a {@link SerialLine}, with a reader thread that splits the modem's
 * output into lines and sorts them into the pending command's answer or unsolicited result codes.
 *
 * <p>An answer ends with a final result code: {@code OK}, or {@code ERROR}, {@code +CME ERROR: n},
 * {@code +CMS ERROR: n}, {@code NO CARRIER}, {@code BUSY}, {@code NO ANSWER}, {@code NO DIALTONE}. The
 * echo of the command (before {@code ATE0}) is dropped. Registration and event codes ({@code +CREG:},
 * {@code +CGREG:}, {@code +CEREG:}, {@code +CGEV:}, {@code +CPIN:}, {@code RDY}, ...) are unsolicited
 * unless the pending command asks for exactly that prefix. A command never waits longer than its
 * timeout; the reader thread never blocks longer than the line's read timeout.
 */
public final class AtSession implements AutoCloseable {
    /** Receives what is not an answer; called on the reader thread: must not block. */
    public interface Listener {
        /** An unsolicited result code. */
        void urc(String line);

        /** A clean line that is neither an answer nor a known unsolicited code. */
        void unexpected(String line);

        /** A line of garbage (non-printable, over-long); it also fails the pending command. */
        void garbage(String description);

        /** The serial line failed; the session is dead and must be replaced. */
        void lineFailed(String reason);
    }

    private static final String[] URC_PREFIXES = {"+CREG:", "+CGREG:", "+CEREG:", "+CGEV:", "+CPIN:", "+CFUN:",
        "+CRING:", "+CMTI:", "+CIEV:"};
    private static final String[] URC_WORDS = {"RDY", "RING"};
    private static final String[] FAILURES = {"ERROR", "NO CARRIER", "BUSY", "NO ANSWER", "NO DIALTONE"};

    private final SerialLine line;
    private final Listener listener;
    private final LineSplitter splitter;
    private final ReentrantLock commandLock = new ReentrantLock();
    private final Thread reader;
    private volatile Pending pending;
    private volatile boolean closed;

    private static final class Pending {
        final String command;
        final String prefix;
        final List<String> lines = new ArrayList<>();
        final CompletableFuture<List<String>> result = new CompletableFuture<>();
        String garbage;
        boolean sawOther;

        Pending(String command) {
            this.command = command;
            this.prefix = prefixOf(command);
        }
    }

    public AtSession(SerialLine line, Listener listener, int maxLineLength) {
        this.line = line;
        this.listener = listener;
        this.splitter = new LineSplitter(maxLineLength, new LineSplitter.Sink() {
            @Override
            public void line(String text) {
                onLine(text);
            }

            @Override
            public void garbage(String description) {
                onGarbage(description);
            }
        });
        this.reader = new Thread(this::readLoop, "modhub-gprs-reader-" + line.name());
        this.reader.setDaemon(true);
    }

    /** Starts the reader thread. */
    public AtSession start() {
        reader.start();
        return this;
    }

    public String name() {
        return line.name();
    }

    public boolean isOpen() {
        return !closed;
    }

    /**
     * Sends {@code command} (without the terminating CR) and waits for its final result code.
     *
     * @return the information lines of the answer, echo and result code removed
     * @throws AtException why the command did not end in {@code OK}
     */
    public List<String> execute(String command, long timeoutMs) throws AtException {
        if (command.indexOf('\r') >= 0 || command.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("command contains a line end");
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        try {
            if (!commandLock.tryLock(timeoutMs, TimeUnit.MILLISECONDS)) {
                throw new AtTimeoutException(command + " (waiting for the previous command)", timeoutMs);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AtLinkException("interrupted before " + command, e);
        }
        try {
            if (closed) {
                throw new AtLinkException(line.name() + " closed");
            }
            Pending p = new Pending(command);
            pending = p;
            try {
                line.write((command + "\r").getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                throw new AtLinkException("cannot send " + redact(command) + " to " + line.name() + ": "
                        + e.getMessage(), e);
            }
            long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
            try {
                return p.result.get(left, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new AtTimeoutException(redact(command), timeoutMs);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof AtException ae) {
                    throw ae;
                }
                throw new AtLinkException("unexpected failure of " + redact(command), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AtLinkException("interrupted while waiting for " + redact(command), e);
            } finally {
                pending = null;
            }
        } finally {
            commandLock.unlock();
        }
    }

    /** Stops the reader (within its read timeout) and closes the line. */
    @Override
    public void close() {
        closed = true;
        Pending p = pending;
        if (p != null) {
            p.result.completeExceptionally(new AtLinkException(line.name() + " closed"));
        }
        line.close();
        if (Thread.currentThread() != reader) {
            try {
                reader.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void readLoop() {
        byte[] buf = new byte[512];
        while (!closed) {
            int n;
            try {
                n = line.read(buf);
            } catch (IOException | RuntimeException e) {
                if (!closed) {
                    closed = true;
                    Pending p = pending;
                    AtLinkException failure = new AtLinkException(e.getMessage(), e);
                    if (p != null) {
                        p.result.completeExceptionally(failure);
                    }
                    safely(() -> listener.lineFailed(String.valueOf(e.getMessage())));
                }
                return;
            }
            if (n > 0) {
                try {
                    splitter.feed(buf, n);
                } catch (RuntimeException e) {
                    // a listener bug must not kill the reader
                    safely(() -> listener.garbage("internal error handling input: " + e));
                }
            }
        }
    }

    private void onLine(String text) {
        Pending p = pending;
        if (p != null && !p.result.isDone()) {
            if (!p.sawOther && text.equals(p.command)) {
                return; // echo
            }
            if (text.equals("OK")) {
                if (p.garbage != null) {
                    p.result.completeExceptionally(new AtProtocolException(
                            "garbage in the answer to " + redact(p.command) + ": " + p.garbage, true));
                } else {
                    p.result.complete(List.copyOf(p.lines));
                }
                return;
            }
            if (text.startsWith("+CME ERROR:")) {
                p.result.completeExceptionally(CmeErrorException.of(redact(p.command), text.substring(11)));
                return;
            }
            if (text.startsWith("+CMS ERROR:")) {
                p.result.completeExceptionally(new AtErrorException(redact(p.command), text));
                return;
            }
            for (String f : FAILURES) {
                if (text.equals(f)) {
                    p.result.completeExceptionally(new AtErrorException(redact(p.command), text));
                    return;
                }
            }
            if (isUrc(text) && (p.prefix == null || !text.startsWith(p.prefix))) {
                safely(() -> listener.urc(text));
                return;
            }
            p.sawOther = true;
            p.lines.add(text);
            return;
        }
        if (isUrc(text)) {
            safely(() -> listener.urc(text));
        } else if (!isFinalCode(text)) {
            safely(() -> listener.unexpected(text));
        }
        // a final result code with no command pending is the late answer of a timed-out command
    }

    private void onGarbage(String description) {
        Pending p = pending;
        if (p != null && !p.result.isDone()) {
            p.sawOther = true;
            if (p.garbage == null) {
                p.garbage = description;
            }
        }
        safely(() -> listener.garbage(description));
    }

    static boolean isUrc(String text) {
        for (String prefix : URC_PREFIXES) {
            if (text.startsWith(prefix)) {
                return true;
            }
        }
        for (String w : URC_WORDS) {
            if (text.equals(w)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isFinalCode(String text) {
        if (text.equals("OK") || text.startsWith("+CME ERROR:") || text.startsWith("+CMS ERROR:")) {
            return true;
        }
        for (String f : FAILURES) {
            if (text.equals(f)) {
                return true;
            }
        }
        return false;
    }

    /** {@code AT+CREG?} → {@code +CREG:}; null for commands without a prefixed answer. */
    static String prefixOf(String command) {
        String c = command.toUpperCase(Locale.ROOT);
        if (!c.startsWith("AT+")) {
            return null;
        }
        int end = 3;
        while (end < c.length() && (Character.isLetterOrDigit(c.charAt(end)))) {
            end++;
        }
        return c.substring(2, end) + ":";
    }

    /** Hides the PIN in log lines and exceptions. */
    public static String redact(String command) {
        String c = command.toUpperCase(Locale.ROOT);
        if (c.startsWith("AT+CPIN=") || c.startsWith("AT+CPWD=") || c.startsWith("AT+CLCK=")) {
            return command.substring(0, command.indexOf('=') + 1) + "****";
        }
        return command;
    }

    private static void safely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            // listeners must not break the reader; they log themselves
        }
    }
}
