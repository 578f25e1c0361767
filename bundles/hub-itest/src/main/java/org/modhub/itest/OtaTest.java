package org.modhub.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modhub.api.cloud.CloudMethod;
import org.modhub.api.cloud.CloudRequest;
import org.modhub.api.cloud.CloudRequestHandler;
import org.modhub.api.cloud.CloudResponse;
import org.modhub.api.common.Eui64;
import org.modhub.api.security.PackageManifest;
import org.modhub.api.wan.HeadEndSession;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

/**
 * The OTA agent in the running hub with the real PKI agent: DEPLOY-V2 requests download a package from a
 * loopback HTTP server, the Manufacturer signature is checked by security-pki, the install is applied,
 * health-checked (with a head-end round trip over a connected session) and committed; NOTIFY messages
 * leave through the durable outbox. Unsigned, forged, tampered, wrong-hash and downgrade packages are
 * refused with the running set untouched; a bundle that cannot start is rolled back; a Recovery-signed
 * downgrade is accepted; an interrupted download resumes with a Range request.
 */
@ExtendWith({BundleContextExtension.class, ServiceExtension.class})
class OtaTest {
    static final String REQUESTER = "itest-ota-operator";

    @InjectBundleContext
    BundleContext context;
    @InjectService(timeout = 30_000)
    ConfigurationAdmin configAdmin;
    @InjectService(timeout = 30_000, filter = "(cloud.app.id=DEPLOY-V2)")
    CloudRequestHandler deploy;

    ItestPki pki;
    HttpServer http;
    final Map<String, byte[]> served = new ConcurrentHashMap<>();
    final List<String> ranges = new CopyOnWriteArrayList<>();
    final AtomicInteger cutAfter = new AtomicInteger(-1);
    final List<String[]> notifications = new CopyOnWriteArrayList<>();
    ServiceRegistration<HeadEndSession> session;
    static final AtomicInteger JOBS = new AtomicInteger((int) (System.currentTimeMillis() % 100_000));

    @BeforeEach
    void setUp() throws Exception {
        pki = ItestPki.get();
        pki.provision(configAdmin, context);
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/p/", ex -> {
            byte[] body = served.get(ex.getRequestURI().getPath().substring(3));
            String range = ex.getRequestHeaders().getFirst("Range");
            if (body == null) {
                ex.sendResponseHeaders(404, -1);
                ex.close();
                return;
            }
            int from = 0;
            if (range != null) {
                ranges.add(range);
                from = Integer.parseInt(range.substring(6, range.indexOf('-')));
                ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
                ex.sendResponseHeaders(206, body.length - from);
            } else {
                ex.sendResponseHeaders(200, body.length);
            }
            int cut = cutAfter.getAndSet(-1);
            try (OutputStream out = ex.getResponseBody()) {
                if (cut > 0) {
                    out.write(body, from, cut);
                    out.flush();
                    throw new IOException("cut"); // drop the connection mid-transfer
                }
                out.write(body, from, body.length - from);
            } catch (IOException e) {
                ex.close();
            }
        });
        http.start();
        // a connected head-end session: the health check's round trip, and where NOTIFY messages go
        session = context.registerService(HeadEndSession.class, new HeadEndSession() {
            public String technology() {
                return "itest-ota";
            }

            public boolean isConnected() {
                return true;
            }

            public int maxPayloadSize() {
                return 1 << 20;
            }

            public CompletionStage<Instant> publish(String topic, byte[] payload, int qos) {
                if (topic.startsWith("DEPLOY-V2/NOTIFY/" + REQUESTER + "/")) {
                    notifications.add(new String[] { topic, new String(payload, StandardCharsets.UTF_8) });
                }
                return CompletableFuture.completedFuture(Instant.now());
            }

            public Subscription subscribe(String filter, int qos, InboundListener listener) {
                return () -> { };
            }
        }, new java.util.Hashtable<>(Map.of(HeadEndSession.PREFERENCE, 1000)));
    }

    @AfterEach
    void tearDown() {
        session.unregister();
        http.stop(0);
    }

    // ---- packages --------------------------------------------------------------------------

    static byte[] bundle(String bsn, String version, String activator) throws IOException {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", bsn);
        a.putValue("Bundle-Version", version);
        if (activator != null) {
            a.putValue("Bundle-Activator", activator);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(out, mf)) {
            jar.putNextEntry(new JarEntry("data/version.txt"));
            jar.write((bsn + " " + version).getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
        }
        return out.toByteArray();
    }

    static byte[] sign(PrivateKey key, byte[] data) throws Exception {
        Signature s = Signature.getInstance("SHA256withPLAIN-ECDSA", PkiTest.BC);
        s.initSign(key);
        s.update(data);
        return s.sign();
    }

    byte[] pkg(String name, String version, Map<String, byte[]> jars, Eui64 signer, PrivateKey key, boolean signed,
            Eui64 downgradeBy, PrivateKey downgradeKey) throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("package.properties", ("name=" + name + "\nversion=" + version + "\n").getBytes(StandardCharsets.UTF_8));
        files.putAll(jars);
        Map<String, byte[]> digests = new LinkedHashMap<>();
        for (var e : files.entrySet()) {
            digests.put(e.getKey(), MessageDigest.getInstance("SHA-256").digest(e.getValue()));
        }
        byte[] manifest = new PackageManifest(signer, digests).encode();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            put(zip, "META-INF/modhub/package.manifest", manifest);
            if (signed) {
                put(zip, "META-INF/modhub/package.sig", sign(key, manifest));
            }
            if (downgradeBy != null) {
                byte[] prefix = "modhub-package-downgrade 1\n".getBytes(StandardCharsets.UTF_8);
                byte[] stmt = new byte[prefix.length + manifest.length];
                System.arraycopy(prefix, 0, stmt, 0, prefix.length);
                System.arraycopy(manifest, 0, stmt, prefix.length, manifest.length);
                ByteArrayOutputStream sig = new ByteArrayOutputStream();
                sig.write(downgradeBy.octets());
                sig.write(sign(downgradeKey, stmt));
                put(zip, "META-INF/modhub/downgrade.sig", sig.toByteArray());
            }
            for (var e : files.entrySet()) {
                put(zip, e.getKey(), e.getValue());
            }
        }
        return out.toByteArray();
    }

    byte[] goodPkg(String name, String version, Map<String, byte[]> jars) throws Exception {
        return pkg(name, version, jars, ItestPki.MANUFACTURER, pki.manufacturerKeys.getPrivate(), true, null, null);
    }

    static void put(ZipOutputStream zip, String name, byte[] b) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(b);
        zip.closeEntry();
    }

    // ---- DEPLOY-V2 -------------------------------------------------------------------------

    CloudResponse request(CloudMethod method, String resource, Map<String, Object> metrics) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>(metrics);
        String id = "req-" + System.nanoTime();
        m.put(CloudRequest.REQUEST_ID, id);
        m.put(CloudRequest.REQUESTER_CLIENT_ID, REQUESTER);
        return deploy.handle(new CloudRequest("DEPLOY-V2", method, List.of(resource), id, REQUESTER, m, null,
                Optional.empty())).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    String serve(String file, byte[] bytes) {
        served.put(file, bytes);
        return "http://127.0.0.1:" + http.getAddress().getPort() + "/p/" + file;
    }

    /** EXEC/download with install; waits for the install (or download) to finish; returns GET/install's metrics. */
    Map<String, Object> deployAndWait(long job, String name, String version, String uri, String hash) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dp.job.id", job);
        m.put("dp.uri", uri);
        m.put("dp.name", name);
        m.put("dp.version", version);
        m.put("dp.download.protocol", "HTTP");
        m.put("dp.install", true);
        if (hash != null) {
            m.put("dp.download.hash", hash);
        }
        assertEquals(200, request(CloudMethod.EXEC, "download", m).code());
        Map<String, Object>[] last = new Map[1];
        Await.until("job " + job + " finished", Duration.ofSeconds(120), () -> {
            try {
                Map<String, Object> d = request(CloudMethod.GET, "download", Map.of()).metrics();
                if (((Number) d.get("job.id")).longValue() == job && !"IN_PROGRESS".equals(d.get("dp.download.status"))
                        && !"COMPLETED".equals(d.get("dp.download.status"))) {
                    last[0] = d;
                    return true;
                }
                Map<String, Object> i = request(CloudMethod.GET, "install", Map.of()).metrics();
                last[0] = i;
                return ((Number) i.get("job.id")).longValue() == job && !"IN_PROGRESS".equals(i.get("dp.install.status"));
            } catch (Exception e) {
                return false;
            }
        }, () -> String.valueOf(last[0]));
        return last[0];
    }

    Optional<Bundle> bundle(String bsn) {
        for (Bundle b : context.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return Optional.of(b);
            }
        }
        return Optional.empty();
    }

    List<String[]> notifies(long job) {
        return notifications.stream().filter(n -> n[1].contains("\"job.id\":" + job + ",")).toList();
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    // ---- tests -----------------------------------------------------------------------------

    @Test
    void signedPackageIsInstalledCommittedAndNotified() throws Exception {
        long job = JOBS.incrementAndGet();
        byte[] p = goodPkg("itest-a", "1.0.0", Map.of("a.jar", bundle("com.itest.ota.a", "1.0.0", null)));
        Map<String, Object> r = deployAndWait(job, "itest-a", "1.0.0", serve("a-1.dp", p), "SHA256:" + sha256(p));
        assertEquals("COMMITTED", r.get("dp.ota.result"), r.toString());
        assertEquals("COMPLETED", r.get("dp.install.status"));
        assertEquals(1, ((Number) r.get("dp.lwm2m.result")).intValue());
        Bundle b = bundle("com.itest.ota.a").orElseThrow();
        assertEquals(Bundle.ACTIVE, b.getState());
        assertEquals("1.0.0", b.getVersion().toString());
        // NOTIFY: in progress, then COMMITTED last, all through the outbox
        Await.until("COMMITTED notification", () -> notifies(job).stream()
                .anyMatch(n -> n[0].endsWith("/install") && n[1].contains("\"dp.ota.result\":\"COMMITTED\"")));
        assertTrue(notifies(job).stream().anyMatch(n -> n[0].endsWith("/download") && n[1].contains("IN_PROGRESS")));
        // GET/packages and GET/bundles
        String pkgs = new String(request(CloudMethod.GET, "packages", Map.of()).body(), StandardCharsets.UTF_8);
        assertTrue(pkgs.contains("\"name\":\"itest-a\""), pkgs);
        String bundles = new String(request(CloudMethod.GET, "bundles", Map.of()).body(), StandardCharsets.UTF_8);
        assertTrue(bundles.contains("\"name\":\"com.itest.ota.a\",\"version\":\"1.0.0\",\"state\":\"ACTIVE\""), bundles);

        // the same again: ALREADY DONE
        long again = JOBS.incrementAndGet();
        assertEquals("ALREADY DONE", deployAndWait(again, "itest-a", "1.0.0", serve("a-1.dp", p), null)
                .get("dp.install.status"));

        // a bundle that cannot start: rolled back, the running set untouched
        long broken = JOBS.incrementAndGet();
        byte[] q = goodPkg("itest-a", "1.1.0", Map.of("a.jar", bundle("com.itest.ota.a", "1.1.0", "com.nowhere.Activator")));
        Map<String, Object> rb = deployAndWait(broken, "itest-a", "1.1.0", serve("a-11.dp", q), null);
        assertEquals("ROLLED_BACK", rb.get("dp.ota.result"), rb.toString());
        assertEquals(8, ((Number) rb.get("dp.lwm2m.result")).intValue());
        assertEquals("1.0.0", bundle("com.itest.ota.a").orElseThrow().getVersion().toString());
        assertEquals(Bundle.ACTIVE, bundle("com.itest.ota.a").orElseThrow().getState());
        Await.until("ROLLED_BACK notification with the running set", () -> notifies(broken).stream()
                .anyMatch(n -> n[1].contains("ROLLED_BACK") && n[1].contains("com.itest.ota.a:1.0.0")));

        // downgrade: refused without a Recovery signature, accepted with one
        long down = JOBS.incrementAndGet();
        byte[] d = goodPkg("itest-a", "0.9.0", Map.of("a.jar", bundle("com.itest.ota.a", "0.9.0", null)));
        Map<String, Object> dr = deployAndWait(down, "itest-a", "0.9.0", serve("a-09.dp", d), null);
        assertEquals("FAILED", dr.get("dp.install.status"), dr.toString());
        assertTrue(String.valueOf(dr.get("dp.install.error.message")).contains("downgrade"), dr.toString());
        assertEquals("1.0.0", bundle("com.itest.ota.a").orElseThrow().getVersion().toString());
        long down2 = JOBS.incrementAndGet();
        byte[] d2 = pkg("itest-a", "0.9.0", Map.of("a.jar", bundle("com.itest.ota.a", "0.9.0", null)), ItestPki.MANUFACTURER,
                pki.manufacturerKeys.getPrivate(), true, ItestPki.RECOVERY, pki.recoveryKeys.getPrivate());
        assertEquals("COMMITTED", deployAndWait(down2, "itest-a", "0.9.0", serve("a-09r.dp", d2), null).get("dp.ota.result"));
        assertEquals("0.9.0", bundle("com.itest.ota.a").orElseThrow().getVersion().toString());

        // uninstall
        long un = JOBS.incrementAndGet();
        assertEquals(200, request(CloudMethod.EXEC, "uninstall", Map.of("dp.job.id", un, "dp.name", "itest-a")).code());
        Await.until("uninstalled", Duration.ofSeconds(120), () -> bundle("com.itest.ota.a").isEmpty(), () -> "");
        Await.until("uninstall COMMITTED", () -> notifies(un).stream()
                .anyMatch(n -> n[0].endsWith("/uninstall") && n[1].contains("COMMITTED")));
    }

    @Test
    void badPackagesAreRefusedBeforeApply() throws Exception {
        Map<String, byte[]> jars = Map.of("b.jar", bundle("com.itest.ota.b", "1.0.0", null));
        record Case(String what, byte[] pkg, String hash, String status, int lwm2m) {
        }
        byte[] good = goodPkg("itest-b", "1.0.0", jars);
        List<Case> cases = List.of(
                new Case("unsigned", pkg("itest-b", "1.0.0", jars, ItestPki.MANUFACTURER, null, false, null, null), null,
                        "FAILED", 5),
                new Case("signed by a Supplier", pkg("itest-b", "1.0.0", jars, ItestPki.SUPPLIER,
                        pki.supplierKeys.getPrivate(), true, null, null), null, "FAILED", 5),
                new Case("forged (Manufacturer id, other key)", pkg("itest-b", "1.0.0", jars, ItestPki.MANUFACTURER,
                        pki.recoveryKeys.getPrivate(), true, null, null), null, "FAILED", 5),
                new Case("wrong download hash", good, "SHA256:" + "00".repeat(32), "FAILED", 5),
                new Case("garbage", "this is not a zip file at all".getBytes(StandardCharsets.UTF_8), null, "FAILED", 6),
                new Case("truncated", java.util.Arrays.copyOf(good, good.length / 2), null, "FAILED", 6));
        for (Case c : cases) {
            long job = JOBS.incrementAndGet();
            Map<String, Object> r = deployAndWait(job, "itest-b", "1.0.0", serve("b-" + job + ".dp", c.pkg()), c.hash());
            String status = String.valueOf(r.containsKey("dp.install.status") ? r.get("dp.install.status")
                    : r.get("dp.download.status"));
            assertEquals(c.status(), status, c.what() + ": " + r);
            assertEquals(c.lwm2m(), ((Number) r.get("dp.lwm2m.result")).intValue(), c.what() + ": " + r);
            assertTrue(bundle("com.itest.ota.b").isEmpty(), c.what() + " was installed");
            Await.until(c.what() + ": FAILED notification", () -> notifies(job).stream()
                    .anyMatch(n -> n[1].contains("\"FAILED\"") || n[1].contains("FAILED")));
        }
    }

    @Test
    void interruptedDownloadResumesWithARangeRequest() throws Exception {
        long job = JOBS.incrementAndGet();
        byte[] big = new byte[300_000];
        new java.util.Random(3).nextBytes(big);
        Map<String, byte[]> jars = new LinkedHashMap<>();
        // a stored (uncompressed) resource makes the package large
        ByteArrayOutputStream jar = new ByteArrayOutputStream();
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().putValue("Bundle-ManifestVersion", "2");
        mf.getMainAttributes().putValue("Bundle-SymbolicName", "com.itest.ota.c");
        mf.getMainAttributes().putValue("Bundle-Version", "1.0.0");
        try (JarOutputStream j = new JarOutputStream(jar, mf)) {
            j.putNextEntry(new JarEntry("data/blob.bin"));
            j.write(big);
            j.closeEntry();
        }
        jars.put("c.jar", jar.toByteArray());
        byte[] p = goodPkg("itest-c", "1.0.0", jars);
        String uri = serve("c.dp", p);
        cutAfter.set(100_000);
        Map<String, Object> first = deployAndWait(job, "itest-c", "1.0.0", uri, "SHA256:" + sha256(p));
        assertEquals("FAILED", first.get("dp.download.status"), first.toString());
        assertEquals(4, ((Number) first.get("dp.lwm2m.result")).intValue(), first.toString());
        // the head end repeats the job: the download continues where it stopped
        Map<String, Object> second = deployAndWait(job, "itest-c", "1.0.0", uri, "SHA256:" + sha256(p));
        assertEquals("COMMITTED", second.get("dp.ota.result"), second.toString());
        assertEquals(1, ranges.size(), ranges.toString());
        assertTrue(ranges.get(0).startsWith("bytes="), ranges.toString());
        assertTrue(Integer.parseInt(ranges.get(0).substring(6, ranges.get(0).indexOf('-'))) > 0);
        assertNotNull(bundle("com.itest.ota.c").orElse(null));
        long un = JOBS.incrementAndGet();
        request(CloudMethod.EXEC, "uninstall", Map.of("dp.job.id", un, "dp.name", "itest-c"));
        Await.until("uninstalled", Duration.ofSeconds(120), () -> bundle("com.itest.ota.c").isEmpty(), () -> "");
    }
}
