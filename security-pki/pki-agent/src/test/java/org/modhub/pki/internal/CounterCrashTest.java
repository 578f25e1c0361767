package org.modhub.pki.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.DataOutputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modhub.api.security.RemotePartyRole;
import org.modhub.api.security.SecurityCheckException;
import org.modhub.api.security.SecurityCheckException.Reason;

/**
 * Anti-replay across kill -9: a child JVM takes a stream of signed commands through the two-step
 * verifier over the real SQLite state store, with counter writes shared between commands (group
 * commit), and is killed with SIGKILL at a random point; a fresh agent over the same store must then
 * refuse every command the child reported as taking effect. Several rounds over the same store: the
 * first with the counters in the state store, the others with them as outbox state rows sharing the
 * outbox's commits with messages (the hub's way; the counters stored the first way still count).
 */
class CounterCrashTest {
    private static final int ROUNDS = 6;
    private static final int COMMANDS = 1_500;

    @TempDir
    Path dir;

    @Test
    void everyCommandThatTookEffectStaysRefusedAfterSigkill() throws Exception {
        TestPki pki = new TestPki();
        TestPki.Party supplier = pki.role(RemotePartyRole.SUPPLIER);
        Path[] pem = pki.writePem(dir);
        Path data = dir.resolve("data");
        Random random = new Random(Long.getLong("crash.seed", System.nanoTime()));
        int killedEarly = 0;
        for (int round = 0; round < ROUNDS; round++) {
            Map<Long, byte[]> byCounter = new HashMap<>();
            Path file = dir.resolve("commands-" + round);
            try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(file))) {
                out.writeInt(COMMANDS);
                for (int i = 1; i <= COMMANDS; i++) {
                    long counter = (round + 1) * 1_000_000L + i;
                    byte[] c = TestPki.signed(TestPki.command(supplier.id(), counter, Fixture.HUB, 0x0001, new byte[] {1}),
                            supplier);
                    byCounter.put(counter, c);
                    out.writeInt(c.length);
                    out.write(c);
                }
            }
            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), CounterCrashChild.class.getName(), data.toString(),
                    pem[0].toString(), pem[1].toString(), file.toString(), round == 0 ? "state" : "outbox")
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("OPEN", in.readLine(), "child did not start");
            int killAfter = 1 + random.nextInt(COMMANDS);
            List<Long> accepted = new ArrayList<>();
            boolean done = false;
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("ACCEPTED ")) {
                    accepted.add(Long.parseLong(line.substring(9)));
                    if (accepted.size() >= killAfter) {
                        break;
                    }
                } else if (line.equals("DONE")) {
                    done = true;
                    break;
                }
            }
            child.destroyForcibly(); // SIGKILL
            assertTrue(child.waitFor(60, TimeUnit.SECONDS));
            if (!done) {
                killedEarly++;
            }
            for (int i = 1; i < accepted.size(); i++) {
                assertTrue(accepted.get(i) > accepted.get(i - 1), "took effect out of order: " + accepted);
            }
            try (SqliteState store = new SqliteState(data)) {
                Map<String, Object> c = new HashMap<>();
                c.put("provisionAnchors", pem[0].toString());
                c.put("provisionParties", pem[1].toString());
                PkiAgent agent = new PkiAgent(store.state, new MemoryEventLog(), Fixture.logger(new ArrayList<>()),
                        Fixture.config(PkiAgent.Config.class, c), data, Fixture.HUB.toString(), Map.of(), HubKeys.drbg(),
                        Instant::now);
                if (round > 0) {
                    agent.commitCountersWith(store.outbox);
                }
                for (long counter : accepted) {
                    try {
                        agent.verify(byCounter.get(counter));
                        fail("round " + round + ": command " + counter + " took effect before the kill and was accepted again");
                    } catch (SecurityCheckException e) {
                        assertEquals(Reason.REPLAYED_COUNTER, e.reason());
                    }
                }
                agent.close();
            }
        }
        assertTrue(killedEarly >= ROUNDS / 2, "most rounds should be killed mid-stream, were " + killedEarly);
    }
}
