package org.modhub.ota.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.modhub.api.cloud.CloudMethod;
import org.modhub.api.cloud.CloudRequest;
import org.modhub.api.cloud.CloudRequestException;
import org.modhub.api.cloud.CloudRequestHandler;
import org.modhub.api.cloud.CloudResponse;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.HubEvent;
import org.modhub.api.event.Severity;
import org.modhub.api.health.ComponentHealth;
import org.modhub.api.health.HealthContributor;
import org.modhub.api.health.HealthState;
import org.modhub.api.health.HubHealth;
import org.modhub.api.messaging.Outbox;
import org.modhub.api.security.PackageVerifier;
import org.modhub.api.security.RemoteParty;
import org.modhub.api.security.RemotePartyRole;
import org.modhub.api.security.SecurityCheckException;
import org.modhub.api.security.SecurityCheckException.Reason;
import org.modhub.api.security.TrustStore;
import org.modhub.api.store.StateStore;
import org.modhub.api.wan.HeadEndSession;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Version;
import org.osgi.framework.VersionRange;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The OTA agent: the {@code DEPLOY-V2} cloud application (Kura-compatible requests), downloads,
 * package verification, and the transactional install with health check, commit or rollback. All
 * work runs on one thread of its own; activation only reads the journal's state.
 */
@Component(configurationPid = OtaAgent.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL, immediate = true,
        service = { CloudRequestHandler.class, HealthContributor.class },
        property = CloudRequestHandler.APP_ID + "=" + Notifier.APP)
@Designate(ocd = OtaConfig.class)
public final class OtaAgent implements CloudRequestHandler, HealthContributor {
    public static final String PID = "org.modhub.ota";
    static final String NAME = "org.modhub.ota";
    static final String SOURCE = "ota-agent";

    private final BundleContext context;
    private final Logger log;
    private final OtaConfig config;
    private final Path dir;
    private final Transactions tx;
    private final Notifier notifier = new Notifier();
    private final ExecutorService worker;
    private final Set<String> schemes = new HashSet<>();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile PackageVerifier verifier;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile TrustStore trustStore;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile Outbox outbox;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile EventLog eventLog;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile HubHealth hubHealth;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile ServiceComponentRuntime scr;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile ConfigurationAdmin configAdmin;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile StateStore stateStore;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile org.modhub.api.metering.MeteringStore meteringStore;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile org.modhub.api.han.DeviceLog deviceLog;
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    final List<HeadEndSession> sessions = new CopyOnWriteArrayList<>();

    /** Current download and install, for GET requests. */
    private volatile JobState download = JobState.none();
    private volatile JobState install = JobState.none();
    private volatile AtomicBoolean cancel = new AtomicBoolean();

    record JobState(long job, String name, String version, String requester, int progress, OtaResult result,
            String phase, String error, long size) {
        static JobState none() {
            return new JobState(-1, "", "", "", 0, OtaResult.IN_PROGRESS, "idle", "", 0);
        }

        JobState with(int p, OtaResult r, String ph, String err, long sz) {
            return new JobState(job, name, version, requester, p, r, ph, err == null ? "" : err, sz);
        }
    }

    @Activate
    public OtaAgent(BundleContext context, @Reference(service = LoggerFactory.class) Logger log, OtaConfig config) {
        this.context = context;
        this.log = log;
        if (config.maxPackageBytes() < 1024) {
            refuse(log, "maxPackageBytes", "must be at least 1024");
        }
        if (config.healthWindowSeconds() < 1 || config.healthWindowSeconds() > 3600) {
            refuse(log, "healthWindowSeconds", "must be 1..3600");
        }
        if (config.maxFailedStarts() < 1 || config.maxFailedStarts() > 100) {
            refuse(log, "maxFailedStarts", "must be 1..100");
        }
        if (config.connectTimeoutMs() < 1 || config.readTimeoutMs() < 1) {
            refuse(log, "connectTimeoutMs/readTimeoutMs", "must be positive");
        }
        for (String s : config.schemes()) {
            String l = s.toLowerCase(Locale.ROOT).trim();
            if (!l.equals("http") && !l.equals("https")) {
                refuse(log, "schemes", "only http and https are supported, not '" + s + "'");
            }
            schemes.add(l);
        }
        this.config = config;
        String data = context.getProperty("modhub.data");
        this.dir = Path.of(data == null || data.isBlank() ? "modhub-data" : data).resolve("ota");
        this.tx = new Transactions(context, dir, line -> log.info(line));
        tx.migrations(new Transactions.Migrations() {
            private Transactions.Migrations delegate() {
                ConfigurationAdmin ca = configAdmin;
                StateStore st = stateStore;
                return ca == null || st == null ? null : new ConfigMigrations(ca, st, line -> log.info(line));
            }

            @Override
            public void migrate(Map<String, Path> jars, String job) throws IOException {
                Transactions.Migrations d = delegate();
                if (d == null) {
                    for (Path p : jars.values()) {
                        if (!ConfigMigrations.steps(p).isEmpty()) {
                            throw new IOException("configuration migrations need ConfigurationAdmin and the state store");
                        }
                    }
                    return;
                }
                d.migrate(jars, job);
            }

            @Override
            public void undo(String job) {
                Transactions.Migrations d = delegate();
                if (d != null) {
                    d.undo(job);
                }
            }

            @Override
            public void commit(String job) {
                Transactions.Migrations d = delegate();
                if (d != null) {
                    d.commit(job);
                }
            }
        });
        this.worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "modhub-ota");
            t.setDaemon(true);
            return t;
        });
        worker.execute(this::afterBoot);
    }

    private static void refuse(Logger log, String field, String why) {
        String msg = "configuration " + PID + ": field " + field + " " + why;
        log.error(msg);
        throw new IllegalArgumentException(msg);
    }

    @Deactivate
    void deactivate() {
        cancel.set(true);
        worker.shutdownNow();
    }

    // ------------------------------------------------------------------------------------------
    // health contributor

    @Override
    public ComponentHealth health() {
        try {
            Journal j = tx.journal();
            return switch (j.phase()) {
                case IDLE -> ComponentHealth.up(NAME);
                case APPLYING, TRIAL -> new ComponentHealth(NAME, HealthState.UP, "trial of " + j.get("package") + " "
                        + j.get("version") + " on probation");
                case ROLLING_BACK -> ComponentHealth.degraded(NAME, "rolling back: " + j.get("reason"));
            };
        } catch (IOException | RuntimeException e) {
            return ComponentHealth.degraded(NAME, "journal unreadable: " + e.getMessage());
        }
    }

    // ------------------------------------------------------------------------------------------
    // after a restart

    private void afterBoot() {
        try {
            for (String f : tx.ensureStarted()) {
                log.warn("OTA: " + f);
            }
            Journal j = tx.journal();
            if (j.phase() != Journal.Phase.IDLE) {
                long job = parseLong(j.get("job.id"));
                String requester = j.get("requester");
                String kind = j.get("operation").isEmpty() ? "install" : j.get("operation");
                install = new JobState(job, j.get("package"), j.get("version"), requester, 50, OtaResult.IN_PROGRESS,
                        "health", "", 0);
                Optional<Transactions.Result> r = tx.resumeTrial(healthCheck(snapshot()), window(), phase -> { });
                r.ifPresent(res -> finishInstall(kind, install, res));
            } else {
                notifyPendingResult(j);
            }
        } catch (IOException | RuntimeException e) {
            log.error("OTA: cannot resume after restart: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A result reached by the boot guard (or before a crash) that the head end has not heard of yet. */
    private void notifyPendingResult(Journal j) throws IOException {
        if (!j.get("result").isEmpty() && "false".equals(j.get("notified"))) {
            OtaResult result = OtaResult.valueOf(j.get("result"));
            if (result == OtaResult.ROLLED_BACK) {
                // the boot guard restored the bundles; the configuration a migration changed is restored here
                ConfigurationAdmin ca = configAdmin;
                StateStore st = stateStore;
                if (ca != null && st != null) {
                    new ConfigMigrations(ca, st, line -> log.info(line)).undo(j.get("job.id"));
                }
            }
            String kind = j.get("operation").isEmpty() ? "install" : j.get("operation");
            Map<String, Object> m = Notifier.metrics(kind, parseLong(j.get("job.id")), 100, result, j.get("reason"));
            m.put("dp.name", j.get("package"));
            m.put("dp.version", j.get("version"));
            m.put("dp.running.set", tx.running().identity());
            notifier.send(outbox, j.get("requester"), kind, parseLong(j.get("job.id")), m);
            event(result == OtaResult.COMMITTED ? "OTA_COMMITTED" : "OTA_ROLLED_BACK",
                    result == OtaResult.COMMITTED ? Severity.INFO : Severity.WARNING, kind + " " + j.get("package") + " "
                            + j.get("version") + ": " + result + " " + j.get("reason"));
            tx.writeJournal(j.set("notified", "true"));
        }
    }

    // ------------------------------------------------------------------------------------------
    // DEPLOY-V2

    @Override
    public CompletionStage<CloudResponse> handle(CloudRequest r) {
        try {
            return CompletableFuture.completedFuture(dispatch(r));
        } catch (CloudRequestException e) {
            return CompletableFuture.failedFuture(e);
        } catch (RuntimeException | IOException e) {
            return CompletableFuture.failedFuture(new CloudRequestException(500, String.valueOf(e.getMessage())));
        }
    }

    private CloudResponse dispatch(CloudRequest r) throws CloudRequestException, IOException {
        String res = r.resourcePath();
        CloudMethod m = r.method();
        if (m == CloudMethod.EXEC && res.equals("download")) {
            return execDownload(r);
        } else if (m == CloudMethod.GET && res.equals("download")) {
            return state(download, "download");
        } else if (m == CloudMethod.DEL && res.equals("download")) {
            if (download.result() != OtaResult.IN_PROGRESS || download.job() < 0) {
                throw new CloudRequestException(404, "no download in progress");
            }
            cancel.set(true);
            return CloudResponse.ok();
        } else if (m == CloudMethod.EXEC && res.equals("install")) {
            return execInstall(r);
        } else if (m == CloudMethod.GET && res.equals("install")) {
            return state(install, "install");
        } else if (m == CloudMethod.EXEC && res.equals("uninstall")) {
            return execUninstall(r);
        } else if (m == CloudMethod.GET && res.equals("packages")) {
            return packages();
        } else if (m == CloudMethod.GET && res.equals("bundles")) {
            return bundles();
        }
        throw new CloudRequestException(404, "no resource " + m + "/" + res);
    }

    private CloudResponse state(JobState s, String kind) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("job.id", s.job());
        m.put("dp." + kind + ".progress", s.progress());
        m.put("dp." + kind + ".status", s.job() < 0 ? "IDLE" : s.result().kuraStatus());
        m.put("dp.name", s.name());
        m.put("dp.version", s.version());
        m.put("dp.ota.phase", s.phase());
        m.put("dp.ota.result", s.result().name());
        m.put("dp.lwm2m.result", s.result().lwm2m());
        if (!s.error().isEmpty()) {
            m.put("dp." + kind + ".error.message", s.error());
        }
        if (kind.equals("download")) {
            m.put("dp.download.size", s.size());
        }
        return CloudResponse.ok(m, null);
    }

    private static String str(CloudRequest r, String name, boolean required) throws CloudRequestException {
        Object v = r.metrics().get(name);
        if (v == null || v.toString().isBlank()) {
            if (required) {
                throw new CloudRequestException(400, "missing metric " + name);
            }
            return "";
        }
        return v.toString().trim();
    }

    private static long num(CloudRequest r, String name, long dflt) throws CloudRequestException {
        Object v = r.metrics().get(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number n) {
            return n.longValue();
        }
        try {
            return Long.parseLong(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new CloudRequestException(400, "metric " + name + " is not a number: " + v);
        }
    }

    private static boolean bool(CloudRequest r, String name, boolean dflt) {
        Object v = r.metrics().get(name);
        return v == null ? dflt : Boolean.parseBoolean(v.toString().trim());
    }

    private static String checkName(String s, String what) throws CloudRequestException {
        if (!s.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new CloudRequestException(400, what + " must be 1..64 of A-Z a-z 0-9 . _ -");
        }
        return s;
    }

    private Path packageFile(String name, String version) {
        return dir.resolve("downloads").resolve(name + "-" + version + ".dp");
    }

    private synchronized CloudResponse execDownload(CloudRequest r) throws CloudRequestException {
        long job = num(r, "dp.job.id", -1);
        if (job < 0) {
            throw new CloudRequestException(400, "missing metric dp.job.id");
        }
        String name = checkName(str(r, "dp.name", true), "dp.name");
        String version = checkName(str(r, "dp.version", true), "dp.version");
        Downloader.Request req = new Downloader.Request(str(r, "dp.uri", true), str(r, "dp.download.protocol", false),
                str(r, "dp.download.hash", false), bool(r, "dp.download.resume", true),
                (int) num(r, "dp.download.block.size", 0), num(r, "dp.download.block.delay", 0));
        boolean installAfter = bool(r, "dp.install", true);
        if (download.job() >= 0 && download.result() == OtaResult.IN_PROGRESS) {
            if (download.job() == job) {
                return CloudResponse.ok(Map.of("dp.download.status", "IN_PROGRESS"), null);
            }
            throw new CloudRequestException(500, "another download is in progress (job " + download.job() + ")");
        }
        try {
            Downloader.checkUri(req.uri(), schemes);
        } catch (PackageRefusedException e) {
            throw new CloudRequestException(400, e.getMessage());
        }
        cancel = new AtomicBoolean();
        AtomicBoolean myCancel = cancel;
        JobState s = new JobState(job, name, version, r.requesterClientId(), 0, OtaResult.IN_PROGRESS, "download", "", 0);
        download = s;
        worker.execute(() -> runDownload(s, req, installAfter, myCancel));
        return CloudResponse.ok();
    }

    private void runDownload(JobState s, Downloader.Request req, boolean installAfter, AtomicBoolean myCancel) {
        Downloader d = new Downloader(config.maxPackageBytes(), config.connectTimeoutMs(), config.readTimeoutMs(), schemes);
        Path target = packageFile(s.name(), s.version());
        int[] lastPct = { -1 };
        try {
            notifier.send(outbox, s.requester(), "download", s.job(),
                    Notifier.metrics("download", s.job(), 0, OtaResult.IN_PROGRESS, ""));
            long size = d.download(req, target, myCancel, have -> {
                int pct = (int) Math.min(99, have * 100 / Math.max(1, config.maxPackageBytes()));
                download = download.with(pct, OtaResult.IN_PROGRESS, "download", "", have);
                if (pct / 10 != lastPct[0] / 10) {
                    lastPct[0] = pct;
                    Map<String, Object> m = Notifier.metrics("download", s.job(), pct, OtaResult.IN_PROGRESS, "");
                    m.put("dp.download.size", have);
                    notifier.send(outbox, s.requester(), "download", s.job(), m);
                }
            });
            download = download.with(100, OtaResult.COMMITTED, "downloaded", "", size);
            Map<String, Object> m = Notifier.metrics("download", s.job(), 100, OtaResult.COMMITTED, "");
            m.put("dp.download.size", size);
            notifier.send(outbox, s.requester(), "download", s.job(), m);
            if (installAfter) {
                doInstall(new JobState(s.job(), s.name(), s.version(), s.requester(), 0, OtaResult.IN_PROGRESS,
                        "verify", "", size));
            }
        } catch (PackageRefusedException e) {
            download = download.with(download.progress(), e.result(), "download", e.getMessage(), download.size());
            notifier.send(outbox, s.requester(), "download", s.job(),
                    Notifier.metrics("download", s.job(), download.progress(), e.result(), e.getMessage()));
            event("OTA_DOWNLOAD_FAILED", Severity.WARNING, s.name() + " " + s.version() + ": " + e.getMessage());
        } catch (IOException | RuntimeException e) {
            download = download.with(download.progress(), OtaResult.FAILED, "download", String.valueOf(e.getMessage()),
                    download.size());
            notifier.send(outbox, s.requester(), "download", s.job(),
                    Notifier.metrics("download", s.job(), download.progress(), OtaResult.FAILED, String.valueOf(e)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized CloudResponse execInstall(CloudRequest r) throws CloudRequestException {
        long job = num(r, "dp.job.id", -1);
        String name = checkName(str(r, "dp.name", true), "dp.name");
        String version = checkName(str(r, "dp.version", true), "dp.version");
        if (!Files.isRegularFile(packageFile(name, version))) {
            throw new CloudRequestException(404, "package " + name + " " + version + " has not been downloaded");
        }
        if (install.job() >= 0 && install.result() == OtaResult.IN_PROGRESS) {
            throw new CloudRequestException(500, "another install is in progress (job " + install.job() + ")");
        }
        JobState s = new JobState(job, name, version, r.requesterClientId(), 0, OtaResult.IN_PROGRESS, "verify", "", 0);
        install = s;
        worker.execute(() -> doInstall(s));
        return CloudResponse.ok();
    }

    private synchronized CloudResponse execUninstall(CloudRequest r) throws CloudRequestException {
        long job = num(r, "dp.job.id", -1);
        String name = checkName(str(r, "dp.name", true), "dp.name");
        if (install.job() >= 0 && install.result() == OtaResult.IN_PROGRESS) {
            throw new CloudRequestException(500, "another install is in progress (job " + install.job() + ")");
        }
        JobState s = new JobState(job, name, "", r.requesterClientId(), 0, OtaResult.IN_PROGRESS, "stage", "", 0);
        install = s;
        worker.execute(() -> {
            try {
                Transactions.Result res = tx.uninstall(name, jobInfo(s, "uninstall"), healthCheck(snapshot()), window(),
                        config.maxFailedStarts(), phase -> progress(s, "uninstall", phase));
                finishInstall("uninstall", s, res);
            } catch (IOException | RuntimeException e) {
                fail("uninstall", s, OtaResult.FAILED, String.valueOf(e.getMessage()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        return CloudResponse.ok();
    }

    private Map<String, String> jobInfo(JobState s, String op) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("job.id", Long.toString(s.job()));
        m.put("requester", s.requester());
        m.put("operation", op);
        return m;
    }

    /** Verify, then the transaction. Runs on the worker. */
    void doInstall(JobState s) {
        install = s;
        try {
            progress(s, "install", "verify");
            PackageReader reader = new PackageReader(verifier, this::verifyDowngrade, tx.store(),
                    config.maxPackageBytes(), this::isProtected, config.allowExports());
            PackageReader.Verified pkg;
            try {
                pkg = reader.read(packageFile(s.name(), s.version()), environment());
            } catch (PackageReader.PackageTooLargeException e) {
                throw new PackageRefusedException(OtaResult.TOO_LARGE, e.getMessage());
            }
            if (!pkg.name().equals(s.name()) || !pkg.version().equals(Version.parseVersion(s.version()))) {
                throw new PackageRefusedException(OtaResult.UNSUPPORTED_PACKAGE, "the package is " + pkg.name() + " "
                        + pkg.version() + ", not " + s.name() + " " + s.version());
            }
            if (pkg.downgrade()) {
                event("OTA_DOWNGRADE_AUTHORISED", Severity.WARNING, pkg.name() + " " + pkg.version());
            }
            Transactions.Result res = tx.install(pkg, jobInfo(s, "install"), healthCheck(snapshot()), window(),
                    config.maxFailedStarts(), phase -> progress(s, "install", phase));
            finishInstall("install", s, res);
        } catch (PackageRefusedException e) {
            event("OTA_PACKAGE_REFUSED", Severity.WARNING, s.name() + " " + s.version() + ": " + e.getMessage());
            fail("install", s, e.result(), e.getMessage());
        } catch (IOException | RuntimeException e) {
            log.error("OTA install of " + s.name() + " " + s.version() + " failed: " + e);
            fail("install", s, OtaResult.FAILED, String.valueOf(e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void progress(JobState s, String kind, String phase) {
        int pct = switch (phase) {
            case "verify" -> 5;
            case "stage" -> 20;
            case "apply" -> 40;
            case "health" -> 60;
            case "commit", "rollback" -> 90;
            default -> 100;
        };
        install = install.with(pct, OtaResult.IN_PROGRESS, phase, "", 0);
        if (pct < 100) {
            Map<String, Object> m = Notifier.metrics(kind, s.job(), pct, OtaResult.IN_PROGRESS, "");
            m.put("dp.ota.phase", phase);
            notifier.send(outbox, s.requester(), kind, s.job(), m);
        }
    }

    private void fail(String kind, JobState s, OtaResult result, String message) {
        install = install.with(100, result, "refused", message, 0);
        Map<String, Object> m = Notifier.metrics(kind, s.job(), 100, result, message);
        m.put("dp.name", s.name());
        m.put("dp.version", s.version());
        try {
            m.put("dp.running.set", tx.running().identity());
        } catch (IOException e) {
            // leave it out
        }
        notifier.send(outbox, s.requester(), kind, s.job(), m);
    }

    private void finishInstall(String kind, JobState s, Transactions.Result res) {
        install = install.with(100, res.result(), res.result().name().toLowerCase(Locale.ROOT), res.result() == OtaResult.COMMITTED
                || res.result() == OtaResult.ALREADY_DONE ? "" : res.message(), 0);
        Map<String, Object> m = Notifier.metrics(kind, s.job(), 100, res.result(),
                res.result() == OtaResult.COMMITTED || res.result() == OtaResult.ALREADY_DONE ? "" : res.message());
        m.put("dp.name", s.name());
        m.put("dp.version", s.version());
        m.put("dp.running.set", res.runningSet());
        notifier.send(outbox, s.requester(), kind, s.job(), m);
        event(switch (res.result()) {
            case COMMITTED -> "OTA_COMMITTED";
            case ROLLED_BACK -> "OTA_ROLLED_BACK";
            case ALREADY_DONE -> "OTA_ALREADY_DONE";
            default -> "OTA_FAILED";
        }, res.result() == OtaResult.COMMITTED || res.result() == OtaResult.ALREADY_DONE ? Severity.INFO : Severity.WARNING,
                kind + " " + s.name() + " " + s.version() + ": " + res.message());
        try {
            Journal j = tx.journal();
            if (j.phase() == Journal.Phase.IDLE && !j.get("result").isEmpty()) {
                tx.writeJournal(j.set("notified", "true"));
            }
        } catch (IOException e) {
            log.warn("OTA: cannot mark the result as notified: " + e);
        }
    }

    private Duration window() {
        return Duration.ofSeconds(config.healthWindowSeconds());
    }

    private boolean isProtected(String bsn) {
        if (bsn.equals(context.getBundle().getSymbolicName())) {
            return true;
        }
        for (String p : config.protectedBundles()) {
            String t = p.trim();
            if (t.endsWith("*") ? bsn.startsWith(t.substring(0, t.length() - 1)) : bsn.equals(t)) {
                return true;
            }
        }
        return false;
    }

    private PackageReader.Environment environment() {
        return new PackageReader.Environment() {
            @Override
            public Map<String, Version> installedVersions() {
                Map<String, Version> m = new LinkedHashMap<>();
                Reconciler.installed(context).forEach((bsn, b) -> m.put(bsn, b.getVersion()));
                return m;
            }

            @Override
            public boolean exported(String pkg, VersionRange range) {
                for (Bundle b : context.getBundles()) {
                    BundleRevision rev = b.adapt(BundleRevision.class);
                    if (rev == null) {
                        continue;
                    }
                    for (BundleCapability c : rev.getDeclaredCapabilities(BundleRevision.PACKAGE_NAMESPACE)) {
                        Object n = c.getAttributes().get(BundleRevision.PACKAGE_NAMESPACE);
                        Object v = c.getAttributes().get("version");
                        if (pkg.equals(n) && range.includes(v instanceof Version ver ? ver : Version.emptyVersion)) {
                            return true;
                        }
                    }
                }
                return false;
            }
        };
    }

    /** A Recovery-role party's signature over the downgrade statement: 8-byte party id ‖ 64-byte r ‖ s. */
    private void verifyDowngrade(byte[] signed, byte[] idAndSig) throws SecurityCheckException {
        TrustStore trust = trustStore;
        if (trust == null) {
            throw new SecurityCheckException(Reason.UNKNOWN_ORIGINATOR, "no trust store: downgrades cannot be authorised");
        }
        if (idAndSig.length != 72) {
            throw new SecurityCheckException(Reason.MALFORMED, "downgrade.sig must be 8 + 64 bytes");
        }
        byte[] id = java.util.Arrays.copyOf(idAndSig, 8);
        Eui64 party = Eui64.parse(java.util.HexFormat.of().formatHex(id));
        RemoteParty p = trust.party(party).orElseThrow(
                () -> new SecurityCheckException(Reason.UNKNOWN_ORIGINATOR, party + " is not a known party"));
        if (!p.whitelisted()) {
            throw new SecurityCheckException(Reason.NOT_WHITELISTED, party + " is not whitelisted");
        }
        if (!p.roles().contains(RemotePartyRole.RECOVERY)) {
            throw new SecurityCheckException(Reason.ROLE_NOT_PERMITTED, party + " does not hold the Recovery role");
        }
        X509Certificate cert = p.signingCertificate().orElseThrow(
                () -> new SecurityCheckException(Reason.UNKNOWN_ORIGINATOR, party + " has no signing certificate"));
        try {
            cert.checkValidity(new Date());
        } catch (java.security.cert.CertificateExpiredException e) {
            throw new SecurityCheckException(Reason.CERTIFICATE_EXPIRED, party + ": " + e.getMessage());
        } catch (java.security.cert.CertificateNotYetValidException e) {
            throw new SecurityCheckException(Reason.CERTIFICATE_NOT_YET_VALID, party + ": " + e.getMessage());
        }
        try {
            Signature v = Signature.getInstance("SHA256withECDSAinP1363Format");
            v.initVerify(cert.getPublicKey());
            v.update(signed);
            if (!v.verify(java.util.Arrays.copyOfRange(idAndSig, 8, 72))) {
                throw new SecurityCheckException(Reason.BAD_SIGNATURE, "downgrade signature does not verify");
            }
        } catch (java.security.GeneralSecurityException e) {
            throw new SecurityCheckException(Reason.BAD_SIGNATURE, "downgrade signature: " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------------------------------
    // health check

    record Snapshot(Set<String> upBefore, boolean headEndBefore, MeterReads.Before meters) {
    }

    private Snapshot snapshot() {
        Set<String> up = new HashSet<>();
        HubHealth h = hubHealth;
        if (h != null) {
            h.components().stream().filter(c -> c.state() == HealthState.UP).forEach(c -> up.add(c.name()));
        }
        boolean he = sessions.stream().anyMatch(HeadEndSession::isConnected);
        MeterReads.Before meters = config.requireMeterReads()
                ? MeterReads.snapshot(meteringStore, deviceLog, window(), Instant.now()) : MeterReads.Before.NONE;
        log.info("OTA health check baseline: " + up.size() + " components UP, head end "
                + (he ? "connected" : "not connected") + ", " + meters.active().size() + " meter register(s) being read");
        return new Snapshot(up, he, meters);
    }

    /**
     * Healthy when: every touched bundle is ACTIVE; every DS component of the touched bundles is
     * satisfied or active (none unsatisfied by a reference, none failed to activate); every hub
     * component that was UP before the apply is UP; meter reads work ({@link MeterReads}: the metering
     * store answers, and if meters were being read before the apply, a newer reading has arrived); and, if
     * a head-end session was connected before, a QoS 1 publish over one is acknowledged (a round trip to
     * the head end).
     */
    private Transactions.HealthCheck healthCheck(Snapshot before) {
        return touched -> {
            for (Bundle b : touched) {
                if (b.getState() != Bundle.ACTIVE && !Reconciler.isFragment(b)) {
                    return Optional.of(b.getSymbolicName() + " is not active (state " + b.getState() + ")");
                }
            }
            ServiceComponentRuntime rt = scr;
            if (rt != null && !touched.isEmpty()) {
                for (ComponentDescriptionDTO d : rt.getComponentDescriptionDTOs(touched.toArray(Bundle[]::new))) {
                    if (!rt.isComponentEnabled(d)) {
                        continue;
                    }
                    for (ComponentConfigurationDTO c : rt.getComponentConfigurationDTOs(d)) {
                        if (c.state == ComponentConfigurationDTO.UNSATISFIED_REFERENCE
                                || c.state == ComponentConfigurationDTO.FAILED_ACTIVATION) {
                            return Optional.of("component " + d.name + " is "
                                    + (c.state == ComponentConfigurationDTO.FAILED_ACTIVATION ? "failed to activate: "
                                            + c.failure : "missing a reference"));
                        }
                    }
                }
            }
            HubHealth h = hubHealth;
            if (h != null) {
                for (ComponentHealth c : h.components()) {
                    if (before.upBefore().contains(c.name()) && c.state() != HealthState.UP && !c.name().equals(NAME)) {
                        return Optional.of(c.name() + " was UP and is " + c.state() + ": " + c.reason());
                    }
                }
            }
            if (config.requireMeterReads()) {
                Optional<String> meters = MeterReads.problem(meteringStore, before.meters());
                if (meters.isPresent()) {
                    return meters;
                }
            }
            if (config.requireHeadEnd() && before.headEndBefore()) {
                Optional<HeadEndSession> s = sessions.stream().filter(HeadEndSession::isConnected).findFirst();
                if (s.isEmpty()) {
                    return Optional.of("no head-end session connected");
                }
                try {
                    s.get().publish(Notifier.APP + "/NOTIFY/health/" + Instant.now().toEpochMilli(), new byte[0], 1)
                            .toCompletableFuture().get(Math.min(30, config.healthWindowSeconds()), TimeUnit.SECONDS);
                } catch (Exception e) {
                    return Optional.of("head-end round trip failed: " + e);
                }
            }
            return Optional.empty();
        };
    }

    // ------------------------------------------------------------------------------------------
    // GET packages / bundles

    private CloudResponse packages() throws IOException {
        BundleSet s = tx.running();
        List<String> items = new ArrayList<>();
        s.packages().values().forEach(p -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", p.name());
            m.put("version", p.version());
            m.put("bundles", String.join(",", p.bundles()));
            items.add(Notifier.json(m));
        });
        return CloudResponse.ok(Map.of("dp.packages.count", items.size()),
                ("[" + String.join(",", items) + "]").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private CloudResponse bundles() throws IOException {
        BundleSet s = tx.running();
        List<String> items = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", b.getBundleId());
            m.put("name", String.valueOf(b.getSymbolicName()));
            m.put("version", b.getVersion().toString());
            m.put("state", switch (b.getState()) {
                case Bundle.ACTIVE -> "ACTIVE";
                case Bundle.RESOLVED -> "RESOLVED";
                case Bundle.INSTALLED -> "INSTALLED";
                case Bundle.STARTING -> "STARTING";
                case Bundle.STOPPING -> "STOPPING";
                default -> "UNINSTALLED";
            });
            s.bundle(String.valueOf(b.getSymbolicName())).ifPresent(e -> m.put("sha256", e.sha256()));
            items.add(Notifier.json(m));
        }
        return CloudResponse.ok(Map.of("dp.bundles.count", items.size()),
                ("[" + String.join(",", items) + "]").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private void event(String code, Severity severity, String detail) {
        EventLog e = eventLog;
        if (e != null) {
            try {
                e.log(HubEvent.of(EventKind.EVENT, code, severity, null, SOURCE, detail));
            } catch (RuntimeException ex) {
                log.warn("OTA: cannot log " + code + ": " + ex);
            }
        }
        log.info(code + " " + detail);
    }

    private static long parseLong(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
