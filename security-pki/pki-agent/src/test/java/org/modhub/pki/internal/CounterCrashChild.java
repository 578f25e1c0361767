package org.modhub.pki.internal;

import java.io.DataInputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.modhub.api.security.CommandVerifier;

/**
 * The child of {@link CounterCrashTest}: a PKI agent over the SQLite state store takes a file of
 * signed commands the way the router does (checks on a pool, accepts in arrival order, pipelined)
 * and prints {@code ACCEPTED <counter>} for each command whose accept stage completed — the moment
 * the command would take effect. Args: data dir, anchors PEM, parties PEM, commands file.
 */
public final class CounterCrashChild {
    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        List<byte[]> commands = new ArrayList<>();
        try (DataInputStream in = new DataInputStream(Files.newInputStream(Path.of(args[3])))) {
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                byte[] c = new byte[in.readInt()];
                in.readFully(c);
                commands.add(c);
            }
        }
        PrintStream out = new PrintStream(System.out, false, "UTF-8");
        boolean withOutbox = args.length > 4 && args[4].equals("outbox");
        try (SqliteState store = new SqliteState(data)) {
            Map<String, Object> c = new HashMap<>();
            c.put("provisionAnchors", args[1]);
            c.put("provisionParties", args[2]);
            PkiAgent agent = new PkiAgent(store.state, new MemoryEventLog(), Fixture.logger(new ArrayList<>()),
                    Fixture.config(PkiAgent.Config.class, c), data, Fixture.HUB.toString(), Map.of(), HubKeys.drbg(),
                    Instant::now);
            if (withOutbox) {
                agent.commitCountersWith(store.outbox);
                Thread responses = new Thread(() -> {
                    for (long i = 0;; i++) {
                        store.outbox.enqueue(new org.modhub.api.messaging.OutboundMessage("r-" + System.nanoTime() + "-" + i,
                                "hub/response", 1, 1, Instant.now(), new byte[100]));
                    }
                }, "responses");
                responses.setDaemon(true);
                responses.start();
            }
            out.println("OPEN");
            out.flush();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            List<java.util.concurrent.Future<CommandVerifier.Checked>> checked = new ArrayList<>();
            for (byte[] command : commands) {
                checked.add(pool.submit(() -> agent.check(command)));
            }
            List<java.util.concurrent.CompletableFuture<?>> all = new ArrayList<>();
            for (java.util.concurrent.Future<CommandVerifier.Checked> f : checked) {
                all.add(agent.accept(f.get()).toCompletableFuture().thenAccept(e -> {
                    synchronized (out) {
                        out.println("ACCEPTED " + e.originatorCounter());
                        out.flush();
                    }
                }));
            }
            java.util.concurrent.CompletableFuture.allOf(all.toArray(new java.util.concurrent.CompletableFuture<?>[0])).join();
            out.println("DONE");
            out.flush();
            pool.shutdown();
        }
    }
}
