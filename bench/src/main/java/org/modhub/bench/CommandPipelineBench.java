package org.modhub.bench;

import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.EventQuery;
import org.modhub.api.event.HubEvent;
import org.modhub.api.messaging.Envelope;
import org.modhub.api.messaging.EnvelopeCodec;
import org.modhub.api.messaging.MessageHandler;
import org.modhub.api.messaging.MessageType;
import org.modhub.api.messaging.OutboundMessage;
import org.modhub.api.messaging.Outbox;
import org.modhub.api.messaging.OutboxStats;
import org.modhub.api.security.KeyUse;
import org.modhub.api.security.RemotePartyRole;
import org.modhub.api.security.SignedEnvelopeCodec;
import org.modhub.api.store.StateStore;
import org.modhub.api.wan.HeadEndSession;
import org.modhub.core.internal.config.ConfigGuard;
import org.modhub.core.internal.db.HubStore;
import org.modhub.core.internal.outbox.OutboxService;
import org.modhub.core.internal.router.HubMessageRouter;
import org.modhub.core.internal.state.SqliteStateStore;
import org.modhub.pki.internal.Certificates;
import org.modhub.pki.internal.Crypto;
import org.modhub.pki.internal.HubKeys;
import org.modhub.pki.internal.PkiAgent;
import org.osgi.framework.BundleContext;
import org.osgi.service.log.Logger;

/**
 * {@code bench/run command-pipeline}: signed head-end commands through the hub's real pipeline —
 * the hub-core router receiving the bytes from a session, the PKI agent verifying them (signature,
 * certificate chain, role, window, range, originator counter persisted as an outbox state row, as
 * the hub's PKI component has it), dispatch to a handler, and the response signed by the PKI agent
 * and queued in the real durable outbox (outbox.db) without waiting — the counters and the
 * responses share the outbox's group commits (one fsync for both) — beside the raw cost of one ECDSA
 * P-256 verify plus one sign with the same provider (Bouncy Castle) in the same run, on as many
 * threads as the router has command workers (the same crypto parallelism; the one-thread figure
 * is printed too). The head end keeps {@code bench.window} commands outstanding (as an MQTT session
 * with a receive window does): throughput is commands answered per second, latency is from the
 * bytes handed to the router to the response durably queued. Each scenario runs {@code RUNS}
 * times, interleaved; medians are printed.
 */
public final class CommandPipelineBench {
    private static final int RUNS = Integer.getInteger("bench.runs", 5);
    private static final int COMMANDS = Integer.getInteger("bench.commands", 4_000);
    /** The router's default commandWorkers. */
    private static final int DEFAULT_WORKERS = 2;
    private static final int WORKERS = Integer.getInteger("bench.workers", DEFAULT_WORKERS);
    /** Figures of the router's default sizing are command_pipeline.*; others name their worker count. */
    private static final String NAME = (WORKERS == DEFAULT_WORKERS ? "command_pipeline"
            : "command_pipeline." + WORKERS + "workers");
    private static final int WINDOW = Integer.getInteger("bench.window", 16);
    private static final int WARMUP = Integer.getInteger("bench.warmup", 3);
    private static final Eui64 HUB = Eui64.parse("00-DB-12-34-56-78-90-A4");
    private static final Eui64 SUPPLIER = Eui64.parse("90-B3-D5-1F-30-00-00-03");
    private static final SecureRandom RANDOM = new SecureRandom();

    public static void main(String[] args) throws Exception {
        Path root = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", "target")).toAbsolutePath(),
                "pipeline-bench");
        KeyPair rootKeys = Crypto.generateP256(RANDOM);
        X509Certificate anchor = Certificates.issue(new Certificates.Spec(new X500Name("CN=Bench Root"), null, null, true,
                Set.of(), Date.from(Instant.now().minus(1, ChronoUnit.DAYS)), Certificates.NO_EXPIRY, BigInteger.ONE),
                rootKeys.getPublic(), null, rootKeys.getPrivate());
        KeyPair supplierKeys = Crypto.generateP256(RANDOM);
        X509Certificate supplier = Certificates.issue(new Certificates.Spec(new X500Name("O=Bench Supplier"), SUPPLIER,
                KeyUse.DIGITAL_SIGNATURE, false, Set.of(RemotePartyRole.SUPPLIER),
                Date.from(Instant.now().minus(1, ChronoUnit.DAYS)), Certificates.NO_EXPIRY, BigInteger.TWO),
                supplierKeys.getPublic(), anchor, rootKeys.getPrivate());
        Files.writeString(root.resolve("anchors.pem"), pem(anchor));
        Files.writeString(root.resolve("parties.pem"), pem(supplier));

        double[][] pipeline = new double[RUNS][];
        double[][] pipelineNormal = new double[RUNS][];
        double[][] raw = new double[RUNS][];
        double[][] raw1 = new double[RUNS][];
        System.err.printf("%d commands per run, %d router workers, head-end window %d, %d runs%n", COMMANDS, WORKERS,
                WINDOW, RUNS);
        // warm-up, not counted: every path run in full, several times, so that C2 has compiled it (one
        // round left the C2 compiler thread at a fifth of the process's CPU during the measured runs)
        System.err.println("warm-up (not counted):");
        for (int w = 0; w < WARMUP; w++) {
            runPipeline(root.resolve("warm" + w), "FULL", supplierKeys, COMMANDS);
            runPipeline(root.resolve("warmn" + w), "NORMAL", supplierKeys, COMMANDS);
            runRaw(supplierKeys, COMMANDS, WORKERS);
            runRaw(supplierKeys, COMMANDS, 1);
        }
        for (int r = 0; r < RUNS; r++) {
            // the peer brackets the pipeline (before and after, averaged): on a shared machine the load
            // changes within seconds, and a peer measured only on one side would be biased
            double[] before = runRaw(supplierKeys, COMMANDS, WORKERS);
            pipeline[r] = runPipeline(root.resolve("full" + r), "FULL", supplierKeys, COMMANDS);
            double[] after = runRaw(supplierKeys, COMMANDS, WORKERS);
            raw[r] = new double[] {(before[0] + after[0]) / 2, (before[1] + after[1]) / 2, (before[2] + after[2]) / 2};
            pipelineNormal[r] = runPipeline(root.resolve("normal" + r), "NORMAL", supplierKeys, COMMANDS);
            raw1[r] = runRaw(supplierKeys, COMMANDS, 1);
            System.err.printf("run %d: pipeline %.0f/s p99 %.2f ms cpu %.0f us/cmd; pipeline (store NORMAL) %.0f/s "
                    + "p99 %.2f ms; raw verify+sign on %d threads %.0f/s p99 %.2f ms cpu %.0f us/cmd; on 1 thread %.0f/s "
                    + "p99 %.2f ms%n", r + 1, pipeline[r][0], pipeline[r][1], pipeline[r][2], pipelineNormal[r][0],
                    pipelineNormal[r][1], WORKERS, raw[r][0], raw[r][1], raw[r][2], raw1[r][0], raw1[r][1]);
        }
        String peer = "ecdsa_p256.verify_sign." + WORKERS + "threads";
        figure(NAME + ".rate", median(pipeline, 0), "cmd/s", peer, median(raw, 0));
        figure(NAME + ".p99", median(pipeline, 1), "ms", peer + ".p99", median(raw, 1));
        figure(NAME + ".store_normal.rate", median(pipelineNormal, 0), "cmd/s", peer, median(raw, 0));
        figure(NAME + ".store_normal.p99", median(pipelineNormal, 1), "ms", peer + ".p99", median(raw, 1));
        figure(NAME + ".rate_vs_one_thread", median(pipeline, 0), "cmd/s", "ecdsa_p256.verify_sign.1thread",
                median(raw1, 0));
        // CPU time the process spent per command: what the pipeline costs beyond its crypto, whatever
        // else the machine is doing
        figure(NAME + ".cpu_per_command", median(pipeline, 2), "us", "ecdsa_p256.verify_sign.cpu", median(raw, 2));
        deleteTree(root);
    }

    private static String pem(X509Certificate c) throws Exception {
        return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(c.getEncoded()) + "\n-----END CERTIFICATE-----\n";
    }

    private static List<byte[]> commands(KeyPair supplierKeys, int n) {
        List<byte[]> out = new ArrayList<>(n);
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        for (int i = 1; i <= n; i++) {
            byte[] e = EnvelopeCodec.encode(new Envelope("cmd-" + i, MessageType.COMMAND, SUPPLIER, i, HUB, now, 0x0001,
                    new byte[32]));
            out.add(SignedEnvelopeCodec.encode(e, Crypto.sign(supplierKeys.getPrivate(), e, RANDOM)));
        }
        return out;
    }

    /** @return {commands per second, p99 ms} */
    private static double[] runPipeline(Path dir, String durability, KeyPair supplierKeys, int n) throws Exception {
        Map<String, String> props = Map.of("modhub.data", dir.resolve("data").toString(), "modhub.hub.id", HUB.toString(),
                "modhub.store.durability", durability);
        BundleContext context = context(props);
        HubStore store = HubStore.open(context, logger());
        try {
            StateStore state = new SqliteStateStore(store);
            List<Long> counterCommits = new ArrayList<>();
            EventLog events = new MemoryEvents();
            Map<String, Object> pkiConfig = new HashMap<>();
            Path base = dir.getParent();
            pkiConfig.put("provisionAnchors", base.resolve("anchors.pem").toString());
            pkiConfig.put("provisionParties", base.resolve("parties.pem").toString());
            PkiAgent pki = new PkiAgent(state, events, logger(), config(PkiAgent.Config.class, pkiConfig),
                    dir.resolve("data"), HUB.toString(), Map.of(), HubKeys.drbg(), Instant::now);
            AtomicLong responses = new AtomicLong();
            OutboxService durable = new OutboxService(store, new ConfigGuard(context, logger()),
                    logger(), config(OutboxService.Config.class, Map.of()), Map.of());
            java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(WINDOW);
            List<Long> commitTimes = new ArrayList<>();
            java.util.concurrent.ConcurrentHashMap<String, Long> answeredAt = new java.util.concurrent.ConcurrentHashMap<>();
            Outbox outbox = new Outbox() {
                @Override
                public void enqueue(OutboundMessage m) {
                    enqueueAll(List.of(m));
                }

                /** The real outbox's enqueueAll (one commit), then the answers are counted as durable. */
                @Override
                public void enqueueAll(List<OutboundMessage> messages) {
                    long t0 = System.nanoTime();
                    durable.enqueueAll(messages);
                    answered(messages, t0);
                }

                /** Counts the responses among {@code messages} as answered now, durable since {@code t0}. */
                private void answered(List<OutboundMessage> messages, long t0) {
                    long now = System.nanoTime();
                    synchronized (commitTimes) {
                        commitTimes.add(now - t0);
                    }
                    for (OutboundMessage m : messages) {
                        if (m.topic().equals(HubMessageRouter.RESPONSE_TOPIC)) {
                            answeredAt.put(m.id(), now);
                            responses.incrementAndGet();
                            window.release();
                        }
                    }
                }

                /** The real outbox's enqueueAllAsync (the router's responses), counted once durable. */
                @Override
                public CompletionStage<Void> enqueueAllAsync(List<OutboundMessage> messages) {
                    long t0 = System.nanoTime();
                    return durable.enqueueAllAsync(messages).whenComplete((v, e) -> {
                        if (e == null) {
                            answered(messages, t0);
                        }
                    });
                }

                @Override
                public OutboxStats stats() {
                    return durable.stats();
                }

                @Override
                public Optional<byte[]> state(String namespace, String key) {
                    return durable.state(namespace, key);
                }

                /** The real outbox's state write, timed from queued to durable (the PKI agent's counters). */
                @Override
                public CompletionStage<Boolean> compareAndSetState(String namespace, String key, byte[] expected,
                        byte[] value) {
                    long t0 = System.nanoTime();
                    return durable.compareAndSetState(namespace, key, expected, value).whenComplete((ok, e) -> {
                        long d = System.nanoTime() - t0;
                        synchronized (counterCommits) {
                            counterCommits.add(d);
                        }
                    });
                }
            };
            pki.commitCountersWith(outbox); // as the PKI agent's component does
            HubMessageRouter router = new HubMessageRouter(outbox, state, events, new ConfigGuard(context, logger()),
                    logger(), context, config(HubMessageRouter.Config.class, Map.of("commandWorkers", WORKERS)), Map.of());
            long[] checkStart = new long[n + 1];
            long[] checkEnd = new long[n + 1];
            long[] acceptAt = new long[n + 1];
            long[] storedAt = new long[n + 1];
            // the agent itself, its steps timestamped by command (the counter is the command's index)
            router.setVerifier(new org.modhub.api.security.CommandVerifier() {
                @Override
                public Envelope verify(byte[] signedCommand) throws org.modhub.api.security.SecurityCheckException {
                    return pki.verify(signedCommand);
                }

                @Override
                public Checked check(byte[] bytes) throws org.modhub.api.security.SecurityCheckException {
                    int i = (int) java.nio.ByteBuffer.wrap(bytes, 2, 8).getLong();
                    checkStart[i] = System.nanoTime();
                    try {
                        return pki.check(bytes);
                    } finally {
                        checkEnd[i] = System.nanoTime();
                    }
                }

                @Override
                public CompletionStage<Envelope> accept(Checked checked) {
                    CompletionStage<Envelope> stage = pki.accept(checked);
                    long now = System.nanoTime();
                    return stage.whenComplete((e, x) -> {
                        if (e != null) {
                            int i = (int) e.originatorCounter();
                            acceptAt[i] = now;
                            storedAt[i] = System.nanoTime();
                        }
                    });
                }

                @Override
                public Set<org.modhub.api.security.RemotePartyRole> rolesFor(int code) {
                    return pki.rolesFor(code);
                }
            });
            router.setSigner(pki);
            byte[] answer = "ok".getBytes(StandardCharsets.UTF_8);
            java.util.concurrent.ConcurrentHashMap<String, Long> handledAt = new java.util.concurrent.ConcurrentHashMap<>();
            router.addHandler(new MessageHandler() {
                @Override
                public CompletionStage<Envelope> handle(Envelope c) {
                    handledAt.put(c.messageId(), System.nanoTime());
                    return CompletableFuture.completedFuture(c.respond("r-" + c.messageId(), HUB, c.dateTime(), answer));
                }
            }, Map.of(MessageHandler.MESSAGE_CODES, 0x0001));
            List<HeadEndSession.InboundListener> listeners = new ArrayList<>();
            router.addSession(session(listeners));
            HeadEndSession.InboundListener in = listeners.get(0);
            List<byte[]> cmds = commands(supplierKeys, n);
            long[] sentAt = new long[n];
            long cpuStart = 0;
            long hubStart = 0;
            Map<String, Long> procStart = Map.of();
            long[] gcStart = {0, 0};
            long[] txStart = {0, 0, 0};
            long[] sysStart = {0, 0};
            Map<Long, Object[]> byThreadStart = Map.of();
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                if (!window.tryAcquire(30, java.util.concurrent.TimeUnit.SECONDS)) {
                    throw new IllegalStateException("no response within 30 s; " + responses.get() + " answered");
                }
                sentAt[i] = System.nanoTime();
                if (i == 0) {
                    sysStart = systemCpu();
                    txStart = commitStats(durable);
                    procStart = procThreads();
                    gcStart = gc();
                    cpuStart = cpu();
                    hubStart = hubThreadCpu();
                    byThreadStart = threadCpu();
                }
                in.received("hub/command", cmds.get(i));
            }
            if (!window.tryAcquire(WINDOW, 30, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IllegalStateException("only " + responses.get() + " of " + n + " commands were answered");
            }
            long cpuUsed = cpu() - cpuStart;
            long[] gcUsed = gc();
            long[] txUsed = commitStats(durable);
            long[] sysUsed = systemCpu();
            Map<String, Long> procUsed = procThreads();
            long hubThreads = hubThreadCpu() - hubStart;
            Map<String, Long> used = new java.util.TreeMap<>();
            for (Map.Entry<Long, Object[]> e : threadCpu().entrySet()) {
                Object[] before = byThreadStart.get(e.getKey());
                used.merge((String) e.getValue()[0], (Long) e.getValue()[1] - (before == null ? 0L : (Long) before[1]),
                        Long::sum);
            }
            StringBuilder split = new StringBuilder();
            used.forEach((name, ns) -> {
                if (ns > 0) {
                    split.append(String.format(" %s %.0f", name, ns / 1e3 / n));
                }
            });
            long[][] stages = new long[5][n];
            for (int i = 0; i < n; i++) {
                int k = i + 1;
                stages[0][i] = checkStart[k] - sentAt[i];
                stages[1][i] = checkEnd[k] - checkStart[k];
                stages[2][i] = acceptAt[k] - checkEnd[k];
                stages[3][i] = storedAt[k] - acceptAt[k];
                stages[4][i] = handledAt.get("cmd-" + k) - storedAt[k];
            }
            System.err.printf("  %s: stages p50/p99 (ms): wait for a worker %.2f/%.2f, check %.2f/%.2f, to accept %.2f/%.2f, "
                    + "counter durable %.2f/%.2f, to the handler %.2f/%.2f%n", durability, pct(stages[0], 50),
                    pct(stages[0], 99), pct(stages[1], 50), pct(stages[1], 99), pct(stages[2], 50), pct(stages[2], 99),
                    pct(stages[3], 50), pct(stages[3], 99), pct(stages[4], 50), pct(stages[4], 99));
            long end = 0;
            long[] lat = new long[n];
            long[] toHandler = new long[n];
            long[] afterHandler = new long[n];
            for (int i = 0; i < n; i++) {
                long at = answeredAt.get("r-cmd-" + (i + 1));
                long handled = handledAt.get("cmd-" + (i + 1));
                end = Math.max(end, at);
                lat[i] = at - sentAt[i];
                toHandler[i] = handled - sentAt[i];
                afterHandler[i] = at - handled;
            }
            router.awaitIdle(java.time.Duration.ofSeconds(30));
            router.deactivate();
            pki.close();
            java.lang.reflect.Method stop = OutboxService.class.getDeclaredMethod("deactivate");
            stop.setAccessible(true);
            stop.invoke(durable);
            if (durable.stats().pending() != n) {
                throw new IllegalStateException(durable.stats().pending() + " messages in the outbox, not " + n);
            }
            System.err.printf("  %s: latency p50/p99 (ms): total %.2f/%.2f; to the handler (check, accept, counter "
                    + "durable) %.2f/%.2f; handler to response durable (sign, outbox commit) %.2f/%.2f%n", durability,
                    pct(lat, 50), pct(lat, 99), pct(toHandler, 50), pct(toHandler, 99), pct(afterHandler, 50),
                    pct(afterHandler, 99));
            long[] commits;
            synchronized (commitTimes) {
                commits = commitTimes.stream().mapToLong(Long::longValue).toArray();
            }
            long slow = Arrays.stream(commits).filter(c -> c > 5_000_000L).count();
            System.err.printf("  %s: outbox commits of responses: %d (%.1f responses each), duration p50/p99/max (ms) "
                    + "%.2f/%.2f/%.2f, over 5 ms: %d%n", durability, commits.length, (double) n / commits.length,
                    pct(commits, 50), pct(commits, 99), Arrays.stream(commits).max().orElse(0) / 1e6, slow);
            long[] cc;
            synchronized (counterCommits) {
                cc = counterCommits.stream().mapToLong(Long::longValue).toArray();
            }
            if (cc.length > 0) {
                System.err.printf("  %s: counter writes (outbox state, queued to durable): %d (%.1f commands each), p50/p99/max (ms) "
                        + "%.2f/%.2f/%.2f%n", durability, cc.length, (double) n / cc.length, pct(cc, 50), pct(cc, 99),
                        Arrays.stream(cc).max().orElse(0) / 1e6);
            }
            System.err.printf("  %s: process cpu %.0f us/cmd, of which the hub's threads (router, pki, outbox, session) "
                    + "%.0f us/cmd; the rest is the JVM's (JIT, GC); by thread (us/cmd):%s%n", durability, cpuUsed / 1e3 / n,
                    hubThreads / 1e3 / n, split);
            StringBuilder all = new StringBuilder();
            Map<String, Long> ps = procStart;
            procUsed.forEach((name, ticks) -> {
                long d = ticks - ps.getOrDefault(name, 0L);
                if (d > 0) {
                    all.append(String.format(" [%s] %.0f", name, d * 1e4 / n)); // 100 Hz ticks -> us/cmd
                }
            });
            System.err.printf("  %s: wall %.0f us/cmd; all threads (/proc, 10 ms ticks, us/cmd):%s; GC: %d collections, "
                    + "%.1f ms (%.0f us/cmd)%n", durability, (end - start) / 1e3 / n, all, gcUsed[0] - gcStart[0],
                    (gcUsed[1] - gcStart[1]) / 1.0, (gcUsed[1] - gcStart[1]) * 1e3 / n);
            long tx = txUsed[0] - txStart[0];
            System.err.printf("  %s: outbox transactions %d (%.1f writes each: responses batches and counter rows), "
                    + "%.0f us each, writer busy %.0f%% of the run%n", durability, tx,
                    (txUsed[1] - txStart[1]) / (double) Math.max(1, tx), (txUsed[2] - txStart[2]) / 1e3 / Math.max(1, tx),
                    (txUsed[2] - txStart[2]) * 100.0 / (end - start));
            System.err.printf("  %s: machine (both cores, all processes) busy %.0f%%, idle %.0f%%%n", durability,
                    100.0 * (sysUsed[0] - sysStart[0]) / Math.max(1, sysUsed[1] - sysStart[1]),
                    100.0 - 100.0 * (sysUsed[0] - sysStart[0]) / Math.max(1, sysUsed[1] - sysStart[1]));
            return new double[] {n / ((end - start) / 1e9), p99(lat), cpuUsed / 1e3 / n};
        } finally {
            store.close();
        }
    }

    /**
     * The same crypto the pipeline does, alone: verify the command's signature, sign a response —
     * on {@code threads} threads sharing the commands.
     */
    private static double[] runRaw(KeyPair supplierKeys, int n, int threads) throws Exception {
        List<byte[]> cmds = commands(supplierKeys, n);
        KeyPair hub = Crypto.generateP256(RANDOM);
        byte[] response = EnvelopeCodec.encode(new Envelope("r-1", MessageType.RESPONSE, HUB, 1, SUPPLIER, Instant.now(),
                1, "ok".getBytes(StandardCharsets.UTF_8)));
        long[] lat = new long[n];
        long[] gcStart = gc();
        Map<String, Long> procStart = procThreads();
        long cpuStart = cpu();
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        Runnable work = () -> {
            SecureRandom random = new SecureRandom(); // one per thread: the peer shares nothing
            for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                long t = System.nanoTime();
                byte[] c = cmds.get(i);
                byte[] signed = Arrays.copyOf(c, c.length - 64);
                if (!Crypto.verify(supplierKeys.getPublic(), signed, Arrays.copyOfRange(c, c.length - 64, c.length))) {
                    throw new IllegalStateException("raw verify failed");
                }
                Crypto.sign(hub.getPrivate(), response, random);
                lat[i] = System.nanoTime() - t;
            }
        };
        Thread[] pool = new Thread[threads];
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            pool[t] = new Thread(work, "raw-" + t);
            pool[t].start();
        }
        for (Thread t : pool) {
            t.join();
        }
        long total = System.nanoTime() - start;
        double cpuPer = (cpu() - cpuStart) / 1e3 / n;
        long[] gcUsed = gc();
        StringBuilder all = new StringBuilder();
        procThreads().forEach((name, ticks) -> {
            long d = ticks - procStart.getOrDefault(name, 0L);
            if (d > 0 && !name.startsWith("raw")) {
                all.append(String.format(" [%s] %.0f", name, d * 1e4 / n));
            }
        });
        System.err.printf("  raw %d threads: cpu %.0f us/cmd; JVM threads (/proc, us/cmd):%s; GC: %d collections, %d ms%n",
                threads, cpuPer, all, gcUsed[0] - gcStart[0], gcUsed[1] - gcStart[1]);
        return new double[] {n / (total / 1e9), p99(lat), cpuPer};
    }

    private static double pct(long[] nanos, int p) {
        return Stats.percentileMs(nanos, p);
    }

    /** CPU time of the hub's threads (modhub-*) and the session's (main) so far (ns). */
    private static long hubThreadCpu() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("modhub") || t.getName().equals("main")) {
                long c = mx.getThreadCpuTime(t.getId());
                sum += Math.max(0, c);
            }
        }
        return sum;
    }

    /**
     * CPU time so far (ns) of the hub's threads and the session's, by thread id, each with its name
     * less its number (a pool thread that ended and one of the same name that started are told apart).
     */
    private static Map<Long, Object[]> threadCpu() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        Map<Long, Object[]> out = new HashMap<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("modhub") || t.getName().equals("main")) {
                out.put(t.getId(), new Object[] {t.getName().replaceAll("-?[0-9]+$", ""),
                    Math.max(0, mx.getThreadCpuTime(t.getId()))});
            }
        }
        return out;
    }

    /** The outbox queue's transactions so far: {count, writes, ns}. */
    private static long[] commitStats(OutboxService outbox) throws Exception {
        java.lang.reflect.Field f = OutboxService.class.getDeclaredField("queue");
        f.setAccessible(true);
        return ((org.modhub.core.internal.outbox.OutboxQueue) f.get(outbox)).commitStats();
    }

    /** The machine's CPU ticks so far: {busy, total} (/proc/stat, all cores). */
    private static long[] systemCpu() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length; i++) {
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            return new long[] {total - idle, total};
        } catch (java.io.IOException | RuntimeException e) {
            return new long[] {0, 0};
        }
    }

    /** Collections and their time (ms) so far, all collectors. */
    private static long[] gc() {
        long[] out = new long[2];
        for (java.lang.management.GarbageCollectorMXBean b : java.lang.management.ManagementFactory
                .getGarbageCollectorMXBeans()) {
            out[0] += Math.max(0, b.getCollectionCount());
            out[1] += Math.max(0, b.getCollectionTime());
        }
        return out;
    }

    /**
     * CPU ticks (utime + stime, 1/100 s) so far of every thread of this process (the JVM's own too:
     * GC, JIT), by thread name less its number.
     */
    private static Map<String, Long> procThreads() {
        Map<String, Long> out = new java.util.TreeMap<>();
        java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
        if (tasks == null) {
            return out;
        }
        for (java.io.File t : tasks) {
            try {
                String stat = Files.readString(t.toPath().resolve("stat"));
                int open = stat.indexOf('(');
                int close = stat.lastIndexOf(')');
                String name = stat.substring(open + 1, close).replaceAll("[-#]?[0-9]+$", "");
                String[] f = stat.substring(close + 2).split(" ");
                out.merge(name, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
            } catch (java.io.IOException | RuntimeException e) {
                // the thread ended
            }
        }
        return out;
    }

    /** CPU time of this process so far (ns). */
    private static long cpu() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static double p99(long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return s[(int) Math.ceil(s.length * 0.99) - 1] / 1e6;
    }

    private static double median(double[][] runs, int column) {
        double[] v = new double[runs.length];
        for (int i = 0; i < runs.length; i++) {
            v[i] = runs[i][column];
        }
        return Stats.median(v);
    }

    private static void figure(String name, double value, String unit, String peer, double peerValue) {
        System.out.printf("figure=%s value=%.2f unit=%s peer=%s peer_value=%.2f ratio=%.2f%n", name, value, unit, peer,
                peerValue, value / peerValue);
    }

    private static HeadEndSession session(List<HeadEndSession.InboundListener> listeners) {
        return new HeadEndSession() {
            public String technology() {
                return "bench";
            }

            public boolean isConnected() {
                return true;
            }

            public int maxPayloadSize() {
                return 65_536;
            }

            public CompletionStage<Instant> publish(String topic, byte[] payload, int qos) {
                return CompletableFuture.completedFuture(Instant.now());
            }

            public Subscription subscribe(String filter, int qos, InboundListener listener) {
                listeners.add(listener);
                return () -> listeners.remove(listener);
            }
        };
    }

    private static final class MemoryEvents implements EventLog {
        final List<HubEvent> events = new ArrayList<>();

        @Override
        public synchronized HubEvent log(HubEvent event) {
            events.add(event);
            return event;
        }

        @Override
        public synchronized List<HubEvent> query(EventQuery query) {
            return List.copyOf(events);
        }
    }

    private static Logger logger() {
        return (Logger) Proxy.newProxyInstance(CommandPipelineBench.class.getClassLoader(), new Class<?>[] {Logger.class},
                (p, m, a) -> m.getReturnType() == boolean.class ? Boolean.FALSE : null);
    }

    private static BundleContext context(Map<String, String> props) {
        return (BundleContext) Proxy.newProxyInstance(CommandPipelineBench.class.getClassLoader(),
                new Class<?>[] {BundleContext.class}, (p, m, a) -> m.getName().equals("getProperty") ? props.get(a[0]) : null);
    }

    @SuppressWarnings("unchecked")
    private static <A extends Annotation> A config(Class<A> type, Map<String, Object> values) {
        return (A) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                (p, m, a) -> values.containsKey(m.getName()) ? values.get(m.getName()) : m.getDefaultValue());
    }

    private static void deleteTree(Path root) throws Exception {
        try (var s = Files.walk(root)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
