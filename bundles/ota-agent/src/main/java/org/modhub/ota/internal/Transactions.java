package org.modhub.ota.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;

/**
 * The transactional install. Files in {@code <modhub.data>/ota}:
 * <ul>
 * <li>{@code journal}: phase (IDLE, APPLYING, TRIAL, ROLLING_BACK), failed-start count, job;</li>
 * <li>{@code known-good.set}: the bundle set that last passed (or came with the image);</li>
 * <li>{@code trial.set}: the set being tried;</li>
 * <li>{@code store/<sha256>.jar}: every jar either set needs that the image does not hold.</li>
 * </ul>
 * Each file is replaced atomically (temporary file, fsync, rename, fsync of the folder), in an order
 * that leaves a crash at any point recoverable by {@link #boot}: known-good set and jars first, then
 * the trial set, then the journal says APPLYING; the bundles change; the journal says TRIAL; after
 * the health check either the known-good set becomes the trial set and the journal IDLE (commit), or
 * the journal says ROLLING_BACK, the known-good set is applied and the journal says IDLE.
 */
public final class Transactions {
    /** Progress of a transaction, for notifications (and the crash test's markers). */
    public interface Listener {
        void phase(String phase);
    }

    /** Whether the hub is healthy with the touched bundles: empty if so, else the problem. */
    public interface HealthCheck {
        Optional<String> problem(List<Bundle> touched);
    }

    public record Result(OtaResult result, String message, String runningSet) {
    }

    /** Configuration migrations around a trial (see ConfigMigrations); none by default. */
    public interface Migrations {
        /** After staging, before the trial set is applied: the changed bundles' new jars by symbolic name. */
        void migrate(Map<String, Path> changedJars, String job) throws IOException;

        /** Before a rollback applies the known-good set (and after a rollback done by the boot guard). */
        void undo(String job);

        void commit(String job);
    }

    private volatile Migrations migrations = new Migrations() {
        @Override
        public void migrate(Map<String, Path> changedJars, String job) {
        }

        @Override
        public void undo(String job) {
        }

        @Override
        public void commit(String job) {
        }
    };

    void migrations(Migrations m) {
        this.migrations = m;
    }

    private final BundleContext ctx;
    private final Path dir;
    private final Consumer<String> log;

    public Transactions(BundleContext ctx, Path dir, Consumer<String> log) {
        this.ctx = ctx;
        this.dir = dir;
        this.log = log;
    }

    public Path store() {
        return dir.resolve("store");
    }

    Path journalFile() {
        return dir.resolve("journal");
    }

    Path knownGoodFile() {
        return dir.resolve("known-good.set");
    }

    Path trialFile() {
        return dir.resolve("trial.set");
    }

    synchronized Journal journal() throws IOException {
        return Journal.read(journalFile());
    }

    synchronized void writeJournal(Journal j) throws IOException {
        j.write(journalFile());
    }

    Optional<BundleSet> readSet(Path f) throws IOException {
        return Files.exists(f) ? Optional.of(BundleSet.parse(Files.readAllBytes(f))) : Optional.empty();
    }

    /** The set the framework runs now, with hashes and packages from the recorded known-good set where they match. */
    BundleSet running() throws IOException {
        BundleSet recorded = readSet(knownGoodFile()).orElse(new BundleSet(Map.of(), Map.of()));
        Map<String, BundleSet.Entry> entries = new LinkedHashMap<>();
        for (Bundle b : Reconciler.installed(ctx).values()) {
            String v = b.getVersion().toString();
            Optional<BundleSet.Entry> r = recorded.bundle(b.getSymbolicName()).filter(e -> e.version().equals(v));
            entries.put(b.getSymbolicName(), r.orElse(new BundleSet.Entry(b.getSymbolicName(), v, BundleSet.IMAGE,
                    b.getLocation().replace(' ', '_'))));
        }
        Map<String, BundleSet.Pkg> pkgs = new LinkedHashMap<>();
        recorded.packages().forEach((n, p) -> {
            if (p.bundles().stream().allMatch(entries::containsKey)) {
                pkgs.put(n, p);
            }
        });
        return new BundleSet(entries, pkgs);
    }

    /** Installs a verified package as a trial, checks health within {@code window}, commits or rolls back. */
    public Result install(PackageReader.Verified pkg, Map<String, String> job, HealthCheck health, Duration window,
            int maxFailedStarts, Listener listener) throws IOException, InterruptedException {
        Journal j = journal();
        if (j.phase() != Journal.Phase.IDLE) {
            return new Result(OtaResult.FAILED, "another install is in progress (" + j.phase() + ")", running().identity());
        }
        listener.phase("stage");
        BundleSet known = running();
        Map<String, BundleSet.Entry> trial = new LinkedHashMap<>(known.bundles());
        Map<String, BundleSet.Entry> knownEntries = new LinkedHashMap<>(known.bundles());
        List<String> changed = new ArrayList<>();
        for (PackageReader.BundleFile b : pkg.bundles()) {
            BundleSet.Entry cur = known.bundles().get(b.bsn());
            if (cur != null && cur.version().equals(b.version().toString())) {
                continue;
            }
            if (cur != null && cur.fromImage()) {
                // keep the image's jar so that a rollback can restore it
                knownEntries.put(b.bsn(), new BundleSet.Entry(cur.bsn(), cur.version(), backup(b.bsn()), cur.location()));
            }
            String location = cur != null ? cur.location() : Reconciler.OTA_LOCATION + b.bsn();
            trial.put(b.bsn(), new BundleSet.Entry(b.bsn(), b.version().toString(), b.sha256(), location));
            changed.add(b.bsn());
        }
        if (changed.isEmpty()) {
            return new Result(OtaResult.ALREADY_DONE, "every bundle of " + pkg.name() + " " + pkg.version()
                    + " already runs", known.identity());
        }
        Map<String, BundleSet.Pkg> trialPkgs = new LinkedHashMap<>(known.packages());
        trialPkgs.put(pkg.name(), new BundleSet.Pkg(pkg.name(), pkg.version().toString(),
                pkg.bundles().stream().map(PackageReader.BundleFile::bsn).toList()));
        BundleSet knownGood = new BundleSet(knownEntries, known.packages());
        BundleSet trialSet = new BundleSet(trial, trialPkgs);
        return run(knownGood, trialSet, j.copy().set("operation", "install").set("package", pkg.name())
                .set("version", pkg.version()), job, health, window, maxFailedStarts, listener);
    }

    /** Removes the bundles of an installed package (those an update installed) as a trial. */
    Result uninstall(String name, Map<String, String> job, HealthCheck health, Duration window, int maxFailedStarts,
            Listener listener) throws IOException, InterruptedException {
        Journal j = journal();
        if (j.phase() != Journal.Phase.IDLE) {
            return new Result(OtaResult.FAILED, "another install is in progress (" + j.phase() + ")", running().identity());
        }
        BundleSet known = running();
        BundleSet.Pkg p = known.packages().get(name);
        if (p == null) {
            return new Result(OtaResult.FAILED, "no installed package " + name, known.identity());
        }
        Map<String, BundleSet.Entry> trial = new LinkedHashMap<>(known.bundles());
        for (String bsn : p.bundles()) {
            BundleSet.Entry e = trial.get(bsn);
            if (e != null && !e.location().startsWith(Reconciler.OTA_LOCATION)) {
                return new Result(OtaResult.FAILED, bsn + " belongs to the hub image: install an older package with a "
                        + "Recovery-signed downgrade instead", known.identity());
            }
            trial.remove(bsn);
        }
        Map<String, BundleSet.Pkg> pkgs = new LinkedHashMap<>(known.packages());
        pkgs.remove(name);
        listener.phase("stage");
        return run(known, new BundleSet(trial, pkgs), j.copy().set("operation", "uninstall").set("package", name)
                .set("version", p.version()), job, health, window, maxFailedStarts, listener);
    }

    private Result run(BundleSet knownGood, BundleSet trialSet, Journal j, Map<String, String> job, HealthCheck health,
            Duration window, int maxFailedStarts, Listener listener) throws IOException, InterruptedException {
        // stage: known-good set and trial set durable before the journal names them
        OtaFiles.writeAtomically(knownGoodFile(), knownGood.encode());
        OtaFiles.writeAtomically(trialFile(), trialSet.encode());
        job.forEach(j::set);
        j.phase(Journal.Phase.APPLYING).set("attempts", 0).set("maxFailedStarts", maxFailedStarts).set("result", null)
                .set("reason", null).set("notified", "false").set("trialStarted", System.currentTimeMillis());
        writeJournal(j);
        Map<String, Path> changed = new LinkedHashMap<>();
        trialSet.bundles().values().forEach(e -> {
            BundleSet.Entry k = knownGood.bundles().get(e.bsn());
            if ((k == null || !k.version().equals(e.version())) && !e.fromImage()) {
                changed.put(e.bsn(), store().resolve(e.sha256() + ".jar"));
            }
        });
        try {
            migrations.migrate(changed, j.get("job.id"));
        } catch (IOException | RuntimeException e) {
            return rollback(j, "configuration migration failed: " + e.getMessage(), listener);
        }
        listener.phase("apply");
        Reconciler.Outcome outcome;
        try {
            outcome = Reconciler.apply(ctx, trialSet, store(), true, log);
        } catch (BundleException | IOException | RuntimeException e) {
            return rollback(j, "apply failed: " + e.getMessage(), listener);
        }
        writeJournal(j.phase(Journal.Phase.TRIAL));
        if (!outcome.startFailures().isEmpty()) {
            return rollback(j, "bundles failed to start: " + outcome.startFailures(), listener);
        }
        return probation(j, touched(knownGood, trialSet), health, window, listener);
    }

    /** The bundles in {@code trial} that differ from {@code known}. */
    private List<Bundle> touched(BundleSet known, BundleSet trial) {
        List<Bundle> out = new ArrayList<>();
        Map<String, Bundle> installed = Reconciler.installed(ctx);
        trial.bundles().values().forEach(e -> {
            BundleSet.Entry k = known.bundles().get(e.bsn());
            if (k == null || !k.version().equals(e.version())) {
                Bundle b = installed.get(e.bsn());
                if (b != null) {
                    out.add(b);
                }
            }
        });
        return out;
    }

    private Result probation(Journal j, List<Bundle> touched, HealthCheck health, Duration window, Listener listener)
            throws IOException, InterruptedException {
        listener.phase("health");
        long deadline = System.nanoTime() + window.toNanos();
        Optional<String> problem;
        int passes = 0;
        do {
            problem = health.problem(touched);
            if (problem.isEmpty()) {
                if (++passes >= 2) {
                    break;
                }
            } else {
                passes = 0;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        if (problem.isPresent() || passes < 2) {
            return rollback(j, "health check failed within " + window.toSeconds() + " s: "
                    + problem.orElse("not healthy long enough"), listener);
        }
        return commit(j, listener);
    }

    private Result commit(Journal j, Listener listener) throws IOException {
        listener.phase("commit");
        BundleSet trial = readSet(trialFile()).orElseThrow(() -> new IOException("trial set missing at commit"));
        OtaFiles.writeAtomically(knownGoodFile(), trial.encode());
        writeJournal(j.phase(Journal.Phase.IDLE).set("result", OtaResult.COMMITTED).set("reason", ""));
        Files.deleteIfExists(trialFile());
        migrations.commit(j.get("job.id"));
        collectGarbage(trial);
        listener.phase("committed");
        log.accept("committed " + j.get("operation") + " " + j.get("package") + " " + j.get("version"));
        return new Result(OtaResult.COMMITTED, "committed " + j.get("package") + " " + j.get("version"), trial.identity());
    }

    private Result rollback(Journal j, String reason, Listener listener) throws IOException, InterruptedException {
        listener.phase("rollback");
        log.accept("rolling back: " + reason);
        writeJournal(j.phase(Journal.Phase.ROLLING_BACK).set("reason", reason));
        migrations.undo(j.get("job.id"));
        BundleSet known = readSet(knownGoodFile()).orElseThrow(() -> new IOException("known-good set missing"));
        try {
            Reconciler.apply(ctx, known, store(), true, log);
        } catch (BundleException | RuntimeException e) {
            log.accept("rollback incomplete (the boot guard finishes it at the next start): " + e.getMessage());
            throw new IOException("rollback incomplete: " + e.getMessage(), e);
        }
        writeJournal(j.phase(Journal.Phase.IDLE).set("result", OtaResult.ROLLED_BACK));
        Files.deleteIfExists(trialFile());
        listener.phase("rolled-back");
        return new Result(OtaResult.ROLLED_BACK, reason, running().identity());
    }

    /** After a restart in TRIAL (the boot guard left it there): health check, then commit or roll back. */
    Optional<Result> resumeTrial(HealthCheck health, Duration window, Listener listener)
            throws IOException, InterruptedException {
        Journal j = journal();
        if (j.phase() == Journal.Phase.TRIAL) {
            BundleSet known = readSet(knownGoodFile()).orElseThrow(() -> new IOException("known-good set missing"));
            BundleSet trial = readSet(trialFile()).orElseThrow(() -> new IOException("trial set missing"));
            return Optional.of(probation(j, touched(known, trial), health, window, listener));
        }
        if (j.phase() == Journal.Phase.ROLLING_BACK || j.phase() == Journal.Phase.APPLYING) {
            return Optional.of(rollback(j, j.get("reason").isEmpty() ? "interrupted" : j.get("reason"), listener));
        }
        return Optional.empty();
    }

    /**
     * Starts the bundles an update installed that the set in force names (the trial set during a
     * trial, else the known-good set) and that are not active: the boot guard changes bundles before
     * the hub runs and leaves starting them to the agent.
     */
    List<String> ensureStarted() throws IOException {
        Journal j = journal();
        Optional<BundleSet> s = j.phase() == Journal.Phase.IDLE ? readSet(knownGoodFile()) : readSet(trialFile());
        List<String> failures = new ArrayList<>();
        if (s.isEmpty()) {
            return failures;
        }
        Map<String, Bundle> installed = Reconciler.installed(ctx);
        for (BundleSet.Entry e : s.get().bundles().values()) {
            Bundle b = installed.get(e.bsn());
            if (b != null && b.getLocation().startsWith(Reconciler.OTA_LOCATION) && b.getState() != Bundle.ACTIVE
                    && b.getState() != Bundle.STARTING && !Reconciler.isFragment(b)) {
                try {
                    b.start();
                } catch (BundleException | RuntimeException ex) {
                    failures.add(e.bsn() + ": " + ex.getMessage());
                }
            }
        }
        return failures;
    }

    /** Deletes jars neither set needs. */
    private void collectGarbage(BundleSet keep) throws IOException {
        Set<String> needed = new HashSet<>();
        keep.bundles().values().forEach(e -> needed.add(e.sha256() + ".jar"));
        if (!Files.isDirectory(store())) {
            return;
        }
        try (var files = Files.list(store())) {
            for (Path f : files.toList()) {
                if (!needed.contains(f.getFileName().toString())) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    /** Keeps a copy of an image bundle's content in the store (rebuilt from its entries); returns its SHA-256. */
    String backup(String bsn) throws IOException {
        Bundle b = Reconciler.installed(ctx).get(bsn);
        if (b == null) {
            throw new IOException("no bundle " + bsn + " to back up");
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        URL mf = b.getEntry("META-INF/MANIFEST.MF");
        if (mf == null) {
            throw new IOException(bsn + " has no manifest");
        }
        java.util.jar.Manifest manifest;
        try (InputStream in = mf.openStream()) {
            manifest = new java.util.jar.Manifest(in);
        }
        try (JarOutputStream jar = new JarOutputStream(bytes, manifest)) {
            Enumeration<URL> en = b.findEntries("/", "*", true);
            List<String> names = new ArrayList<>();
            Map<String, URL> urls = new LinkedHashMap<>();
            while (en != null && en.hasMoreElements()) {
                URL u = en.nextElement();
                String path = u.getPath();
                String name = path.startsWith("/") ? path.substring(1) : path;
                if (name.isEmpty() || name.endsWith("/") || name.equalsIgnoreCase("META-INF/MANIFEST.MF")) {
                    continue;
                }
                names.add(name);
                urls.put(name, u);
            }
            String[] sorted = names.toArray(String[]::new);
            Arrays.sort(sorted);
            for (String name : sorted) {
                jar.putNextEntry(new JarEntry(name));
                try (InputStream in = urls.get(name).openStream()) {
                    in.transferTo(jar);
                }
                jar.closeEntry();
            }
        }
        Files.createDirectories(store());
        Path tmp = store().resolve("backup-" + bsn + ".tmp");
        String sha = OtaFiles.copyAtomically(new java.io.ByteArrayInputStream(bytes.toByteArray()), tmp);
        OtaFiles.move(tmp, store().resolve(sha + ".jar"));
        return sha;
    }

    // ---------------------------------------------------------------------------------------------
    // Boot guard

    /**
     * Runs before any updatable bundle starts. A restart in APPLYING or TRIAL is a failed start: after
     * {@code maxFailedStarts} of them (from the journal) the known-good set is restored; below that,
     * an interrupted apply is completed and the trial goes on (the agent health-checks it again). An
     * interrupted rollback is completed. Never refreshes (see {@link Reconciler#apply}).
     *
     * @return what it did, for the log
     */
    public static String boot(BundleContext ctx, Path dir, Consumer<String> log, Consumer<List<Bundle>> startLater) {
        Transactions t = new Transactions(ctx, dir, log);
        try {
            Journal j = t.journal();
            switch (j.phase()) {
                case IDLE:
                    return "idle";
                case APPLYING:
                case TRIAL: {
                    Optional<BundleSet> known = t.readSet(t.knownGoodFile());
                    Optional<BundleSet> trial = t.readSet(t.trialFile());
                    if (known.isPresent() && trial.isPresent() && Arrays.equals(known.get().encode(), trial.get().encode())) {
                        // crashed between the two steps of a commit: finish it
                        t.writeJournal(j.phase(Journal.Phase.IDLE).set("result", OtaResult.COMMITTED));
                        Files.deleteIfExists(t.trialFile());
                        return "commit completed";
                    }
                    int attempts = j.getInt("attempts", 0) + 1;
                    int max = Math.max(1, j.getInt("maxFailedStarts", 2));
                    j.set("attempts", attempts);
                    if (attempts >= max || trial.isEmpty() || known.isEmpty()) {
                        t.writeJournal(j.phase(Journal.Phase.ROLLING_BACK).set("reason", "hub restarted during the trial "
                                + attempts + " time(s) (limit " + max + ")"));
                        return restore(t, j, known, log, startLater);
                    }
                    t.writeJournal(j);
                    startLater.accept(Reconciler.apply(ctx, trial.get(), t.store(), false, log).pending());
                    t.writeJournal(j.phase(Journal.Phase.TRIAL));
                    return "trial continues (failed starts " + attempts + " of " + max + ")";
                }
                case ROLLING_BACK:
                    return restore(t, j, t.readSet(t.knownGoodFile()), log, startLater);
                default:
                    return "unknown phase";
            }
        } catch (IOException | BundleException | InterruptedException | RuntimeException e) {
            log.accept("boot guard failed: " + e);
            return "failed: " + e.getMessage();
        }
    }

    private static String restore(Transactions t, Journal j, Optional<BundleSet> known, Consumer<String> log,
            Consumer<List<Bundle>> startLater) throws IOException, BundleException, InterruptedException {
        if (known.isEmpty()) {
            throw new IOException("no known-good set to restore");
        }
        startLater.accept(Reconciler.apply(t.ctx, known.get(), t.store(), false, log).pending());
        t.writeJournal(j.phase(Journal.Phase.IDLE).set("result", OtaResult.ROLLED_BACK).set("notified", "false"));
        Files.deleteIfExists(t.trialFile());
        return "restored the known-good set: " + j.get("reason");
    }
}
