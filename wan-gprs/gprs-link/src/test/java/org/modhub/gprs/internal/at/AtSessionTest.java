package org.modhub.gprs.internal.at;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The command session against a scripted in-memory line: answers, errors, URCs, garbage, silence. */
class AtSessionTest {
    /** A line whose far end answers each command with a scripted string (or nothing). */
    static final class ScriptedLine implements SerialLine {
        final BlockingQueue<byte[]> toHost = new LinkedBlockingQueue<>();
        final List<String> commands = new CopyOnWriteArrayList<>();
        volatile Function<String, String> script = c -> "\r\nOK\r\n";
        volatile boolean closed;
        volatile boolean fail;

        @Override
        public int read(byte[] buffer) throws IOException {
            if (closed || fail) {
                throw new IOException("gone");
            }
            try {
                byte[] b = toHost.poll(50, TimeUnit.MILLISECONDS);
                if (b == null) {
                    return 0;
                }
                System.arraycopy(b, 0, buffer, 0, b.length);
                return b.length;
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
        }

        @Override
        public void write(byte[] bytes) throws IOException {
            String cmd = new String(bytes, StandardCharsets.US_ASCII).strip();
            commands.add(cmd);
            String answer = script.apply(cmd);
            if (answer != null) {
                send(answer);
            }
        }

        void send(String s) {
            byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
            for (int i = 0; i < b.length; i += 64) { // in chunks, as a serial port delivers them
                toHost.add(java.util.Arrays.copyOfRange(b, i, Math.min(b.length, i + 64)));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public String name() {
            return "scripted";
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    final ScriptedLine line = new ScriptedLine();
    final List<String> urcs = new CopyOnWriteArrayList<>();
    final List<String> garbage = new CopyOnWriteArrayList<>();
    final List<String> unexpected = new CopyOnWriteArrayList<>();
    final List<String> failures = new CopyOnWriteArrayList<>();
    final AtSession session = new AtSession(line, new AtSession.Listener() {
        @Override
        public void urc(String l) {
            urcs.add(l);
        }

        @Override
        public void unexpected(String l) {
            unexpected.add(l);
        }

        @Override
        public void garbage(String description) {
            garbage.add(description);
        }

        @Override
        public void lineFailed(String reason) {
            failures.add(reason);
        }
    }, 256).start();

    @AfterEach
    void close() {
        session.close();
    }

    @Test
    void answerWithEchoAndInterleavedUrc() throws Exception {
        line.script = c -> c + "\r\r\n+CGREG: 5\r\n\r\n+CREG: 2,1,\"00C3\",\"A1\",7\r\n\r\nOK\r\n";
        List<String> answer = session.execute("AT+CREG?", 5000);
        assertEquals(List.of("+CREG: 2,1,\"00C3\",\"A1\",7"), answer);
        assertEquals(List.of("+CGREG: 5"), urcs);
    }

    @Test
    void typedErrors() {
        line.script = c -> switch (c) {
            case "AT+A" -> "\r\nERROR\r\n";
            case "AT+B" -> "\r\n+CME ERROR: 16\r\n";
            case "AT+C" -> "\r\n+CME ERROR: SIM PIN required\r\n";
            case "AT+D" -> "\r\n\u0001\u0002junk\r\nOK\r\n";
            default -> null;
        };
        assertEquals("ERROR", assertThrows(AtErrorException.class, () -> session.execute("AT+A", 5000)).resultCode());
        assertEquals(16, assertThrows(CmeErrorException.class, () -> session.execute("AT+B", 5000)).code());
        assertEquals(11, assertThrows(CmeErrorException.class, () -> session.execute("AT+C", 5000)).code());
        AtProtocolException p = assertThrows(AtProtocolException.class, () -> session.execute("AT+D", 5000));
        assertTrue(p.reported());
        assertEquals(1, garbage.size());
        assertThrows(AtTimeoutException.class, () -> session.execute("AT+SILENT", 300));
    }

    @Test
    void silenceNeverBlocksLongerThanTheTimeout() {
        line.script = c -> null;
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            for (int i = 0; i < 3; i++) {
                assertThrows(AtTimeoutException.class, () -> session.execute("AT", 200));
            }
        });
    }

    @Test
    void lateAnswerOfATimedOutCommandIsNotTakenForTheNextOne() throws Exception {
        line.script = c -> null;
        assertThrows(AtTimeoutException.class, () -> session.execute("AT+CSQ", 200));
        line.send("\r\n+CSQ: 20,99\r\n\r\nOK\r\n"); // the late answer, while idle: dropped
        Thread.sleep(300);
        line.script = c -> "\r\n+CSQ: 21,99\r\n\r\nOK\r\n";
        assertEquals(List.of("+CSQ: 21,99"), session.execute("AT+CSQ", 5000));
        assertTrue(unexpected.contains("+CSQ: 20,99"));
    }

    @Test
    void unsolicitedGarbageAndOverlongLinesAreReported() throws Exception {
        line.send("\r\n+CEREG: 1\r\n");
        line.send("B".repeat(1000) + "\r\n");
        line.send("\u00ff\u00fe\r\n");
        long end = System.currentTimeMillis() + 5000;
        while ((urcs.isEmpty() || garbage.size() < 2) && System.currentTimeMillis() < end) {
            Thread.sleep(20);
        }
        assertEquals(List.of("+CEREG: 1"), urcs);
        assertEquals(2, garbage.size());
        line.script = c -> "\r\nOK\r\n";
        assertEquals(List.of(), session.execute("AT", 5000)); // still working
    }

    @Test
    void aFailingLineFailsThePendingCommandAndReports() {
        line.script = c -> {
            line.fail = true;
            return null;
        };
        assertThrows(AtLinkException.class, () -> session.execute("AT", 5000));
        long end = System.currentTimeMillis() + 5000;
        while (failures.isEmpty() && System.currentTimeMillis() < end) {
            Thread.onSpinWait();
        }
        assertEquals(1, failures.size());
        assertThrows(AtLinkException.class, () -> session.execute("AT", 5000));
    }
}
