package org.modhub.core.internal.outbox;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.modhub.core.internal.db.Durability;
import org.modhub.core.internal.db.SqliteDatabase;

/**
 * Child JVM of {@link OutboxCrashTest}: enqueues messages from several producer threads and prints
 * {@code ACK <id>} after each enqueue returned. The parent kills it with SIGKILL at a random point.
 */
public final class OutboxCrashChild {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String run = args[1];
        int total = Integer.parseInt(args[2]);
        int producers = Integer.parseInt(args[3]);
        PrintStream out = new PrintStream(System.out, false);
        SqliteDatabase db = SqliteDatabase.open(dir.resolve("outbox.db"), Durability.FULL, true);
        OutboxQueue q = new OutboxQueue(db, 10_000_000, 1L << 32, null);
        out.println("OPEN");
        out.flush();
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int producer = p;
            Thread t = new Thread(() -> {
                for (int i = producer; i < total; i += producers) {
                    String id = run + "-" + i;
                    q.enqueue(TestMessages.message(id, i % 10));
                    synchronized (out) {
                        out.println("ACK " + id);
                        out.flush();
                    }
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        out.println("DONE");
        out.flush();
        db.close();
    }
}
