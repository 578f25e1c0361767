package org.modhub.hubctl;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.modhub.api.cloud.KuraDataCodec;
import org.modhub.api.common.Eui64;
import org.modhub.api.security.PackageManifest;

/**
 * hubctl: the operator's command-line tool. Exit codes: 0 done, 1 usage, 2 error (file, network,
 * refused request), 3 a job failed or was rolled back, 4 timed out.
 */
public final class Hubctl {
    static final int OK = 0;
    static final int USAGE = 1;
    static final int ERROR = 2;
    static final int JOB_FAILED = 3;
    static final int TIMEOUT = 4;

    static final Map<String, String> HELP = new LinkedHashMap<>();
    static {
        HELP.put("dev-pki", "hubctl dev-pki --dir DIR [--manufacturer EUI64] [--recovery EUI64]\n"
                + "  DEVELOPMENT ONLY: creates a dev root (trust anchor, root.pem), a Manufacturer and a Recovery party\n"
                + "  under it (certificates in parties.pem; PKCS#8 keys manufacturer.key, recovery.key, root.key, mode 0600)\n"
                + "  in the PKI agent's certificate profile, and prints how to provision a dev hub with them on its first\n"
                + "  boot (-Dmodhub.pki.provisionAnchors=DIR/root.pem -Dmodhub.pki.provisionParties=DIR/parties.pem).\n"
                + "  Defaults: Manufacturer " + DevPki.DEFAULT_MANUFACTURER + ", Recovery " + DevPki.DEFAULT_RECOVERY + ".");
        HELP.put("package", "hubctl package --name NAME --version VERSION --signer EUI64 --key KEY.pem --out FILE.dp\n"
                + "               [--recovery-signer EUI64 --recovery-key KEY.pem] BUNDLE.jar...\n"
                + "  Builds a package and signs its manifest with the Manufacturer key (PKCS#8 PEM, EC P-256).\n"
                + "  With a Recovery key, also signs the downgrade statement (needed when a version goes down).");
        HELP.put("serve", "hubctl serve --dir DIR [--host 127.0.0.1] [--port 0]\n"
                + "  Publishes the files of DIR over HTTP (with Range requests, so hubs can resume) and prints\n"
                + "  each file's URL and SHA256 hash until stopped.");
        HELP.put("deploy", "hubctl deploy --broker URI --hub CLIENT_ID[,CLIENT_ID...] --uri URL --name NAME --version VERSION\n"
                + "              [--account modhub] [--hash ALG:hex | --file FILE.dp] [--job ID] [--operator hubctl] [--timeout 30]\n"
                + "  Sends DEPLOY-V2 EXEC/download (with install) to each hub and waits for each reply.");
        HELP.put("watch", "hubctl watch --broker URI --hub CLIENT_ID[,...] --job ID [--account modhub] [--operator hubctl]\n"
                + "             [--timeout 600]\n"
                + "  Follows the job's NOTIFY messages: one progress line per hub and change, then a summary.\n"
                + "  Exit 0 if every hub committed, 3 if one failed or rolled back, 4 on timeout.");
        HELP.put("bundles", "hubctl bundles --broker URI --hub CLIENT_ID [--account modhub]\n"
                + "  Lists the hub's bundles, versions and states (DEPLOY-V2 GET/bundles).");
        HELP.put("packages", "hubctl packages --broker URI --hub CLIENT_ID [--account modhub]\n"
                + "  Lists the packages installed over the air (DEPLOY-V2 GET/packages).");
        HELP.put("events", "hubctl events --broker URI --hub CLIENT_ID [--account modhub] [--timeout 0]\n"
                + "  Prints what the hub sends (alerts, events, notifications) until stopped or the timeout.");
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            System.out.println("usage: hubctl COMMAND [options]   (hubctl COMMAND --help)\ncommands:");
            HELP.forEach((k, v) -> System.out.println("  " + v.lines().findFirst().orElse(k)));
            System.out.println("exit codes: 0 done, 1 usage, 2 error, 3 job failed or rolled back, 4 timeout");
            return args.length == 0 ? USAGE : OK;
        }
        String cmd = args[0];
        if (!HELP.containsKey(cmd)) {
            System.err.println("hubctl: unknown command '" + cmd + "' (hubctl --help)");
            return USAGE;
        }
        Map<String, String> opts = new LinkedHashMap<>();
        List<String> rest = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--help") || args[i].equals("-h")) {
                System.out.println(HELP.get(cmd));
                return OK;
            }
            if (args[i].startsWith("--")) {
                if (i + 1 >= args.length) {
                    System.err.println("hubctl " + cmd + ": " + args[i] + " needs a value\n" + HELP.get(cmd));
                    return USAGE;
                }
                opts.put(args[i].substring(2), args[++i]);
            } else {
                rest.add(args[i]);
            }
        }
        try {
            return switch (cmd) {
                case "dev-pki" -> DevPki.run(opts);
                case "package" -> pkg(opts, rest);
                case "serve" -> serve(opts);
                case "deploy" -> deploy(opts);
                case "watch" -> watch(opts);
                case "bundles" -> get(opts, "bundles");
                case "packages" -> get(opts, "packages");
                case "events" -> events(opts);
                default -> USAGE;
            };
        } catch (UsageException e) {
            System.err.println("hubctl " + cmd + ": " + e.getMessage() + "\n" + HELP.get(cmd));
            return USAGE;
        } catch (Exception e) {
            System.err.println("hubctl " + cmd + ": " + e);
            return ERROR;
        }
    }

    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String m) {
            super(m);
        }
    }

    static String need(Map<String, String> o, String k) throws UsageException {
        String v = o.get(k);
        if (v == null || v.isBlank()) {
            throw new UsageException("--" + k + " is required");
        }
        return v;
    }

    // ---- package -------------------------------------------------------------------------

    static PrivateKey key(Path pem) throws Exception {
        String text = Files.readString(pem);
        if (!text.contains("-----BEGIN PRIVATE KEY-----")) {
            throw new IllegalArgumentException(pem + " is not a PKCS#8 PEM private key (openssl pkcs8 -topk8 -nocrypt)");
        }
        String b64 = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
    }

    static byte[] sign(PrivateKey key, byte[] data) throws Exception {
        Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
        s.initSign(key);
        s.update(data);
        return s.sign();
    }

    static int pkg(Map<String, String> o, List<String> jars) throws Exception {
        String name = need(o, "name");
        String version = need(o, "version");
        Eui64 signer = Eui64.parse(need(o, "signer"));
        PrivateKey key = key(Path.of(need(o, "key")));
        Path out = Path.of(need(o, "out"));
        if (jars.isEmpty()) {
            throw new UsageException("name at least one bundle jar");
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("package.properties", ("name=" + name + "\nversion=" + version + "\n").getBytes(StandardCharsets.UTF_8));
        for (String j : jars) {
            Path p = Path.of(j);
            try (JarFile jf = new JarFile(p.toFile())) {
                if (jf.getManifest() == null || jf.getManifest().getMainAttributes().getValue("Bundle-SymbolicName") == null) {
                    throw new IllegalArgumentException(j + " is not a bundle");
                }
            }
            files.put(p.getFileName().toString(), Files.readAllBytes(p));
        }
        Map<String, byte[]> digests = new LinkedHashMap<>();
        for (var e : files.entrySet()) {
            digests.put(e.getKey(), MessageDigest.getInstance("SHA-256").digest(e.getValue()));
        }
        byte[] manifest = new PackageManifest(signer, digests).encode();
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(zip)) {
            put(z, "META-INF/modhub/package.manifest", manifest);
            put(z, "META-INF/modhub/package.sig", sign(key, manifest));
            if (o.containsKey("recovery-key")) {
                Eui64 rs = Eui64.parse(need(o, "recovery-signer"));
                byte[] prefix = "modhub-package-downgrade 1\n".getBytes(StandardCharsets.UTF_8);
                byte[] stmt = new byte[prefix.length + manifest.length];
                System.arraycopy(prefix, 0, stmt, 0, prefix.length);
                System.arraycopy(manifest, 0, stmt, prefix.length, manifest.length);
                ByteArrayOutputStream ds = new ByteArrayOutputStream();
                ds.writeBytes(rs.octets());
                ds.writeBytes(sign(key(Path.of(o.get("recovery-key"))), stmt));
                put(z, "META-INF/modhub/downgrade.sig", ds.toByteArray());
            }
            for (var e : files.entrySet()) {
                put(z, e.getKey(), e.getValue());
            }
        }
        Files.write(out, zip.toByteArray());
        System.out.println(out + " " + zip.size() + " bytes SHA256:" + sha256(zip.toByteArray()));
        return OK;
    }

    static void put(ZipOutputStream z, String name, byte[] b) throws Exception {
        z.putNextEntry(new ZipEntry(name));
        z.write(b);
        z.closeEntry();
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    // ---- serve ---------------------------------------------------------------------------

    static int serve(Map<String, String> o) throws Exception {
        Path dir = Path.of(need(o, "dir")).toAbsolutePath();
        HttpServer http = HttpServer.create(new InetSocketAddress(o.getOrDefault("host", "127.0.0.1"),
                Integer.parseInt(o.getOrDefault("port", "0"))), 0);
        http.createContext("/", ex -> {
            String name = ex.getRequestURI().getPath().substring(1);
            Path f = dir.resolve(name).normalize();
            if (!f.startsWith(dir) || !Files.isRegularFile(f)) {
                ex.sendResponseHeaders(404, -1);
                ex.close();
                return;
            }
            byte[] body = Files.readAllBytes(f);
            String range = ex.getRequestHeaders().getFirst("Range");
            int from = 0;
            if (range != null && range.matches("bytes=\\d+-")) {
                from = Math.min(body.length, Integer.parseInt(range.substring(6, range.length() - 1)));
                ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
                ex.sendResponseHeaders(206, body.length - from);
            } else {
                ex.sendResponseHeaders(200, body.length);
            }
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body, from, body.length - from);
            }
        });
        http.start();
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                System.out.println("http://" + http.getAddress().getHostString() + ":" + http.getAddress().getPort() + "/"
                        + f.getFileName() + " SHA256:" + sha256(Files.readAllBytes(f)));
            }
        }
        System.out.flush();
        Thread.currentThread().join();
        return OK;
    }

    // ---- MQTT ----------------------------------------------------------------------------

    static MqttClient connect(Map<String, String> o) throws Exception {
        MqttClient c = new MqttClient(need(o, "broker"), "hubctl-" + ProcessHandle.current().pid(), new MemoryPersistence());
        MqttConnectOptions opts = new MqttConnectOptions();
        opts.setCleanSession(true);
        opts.setConnectionTimeout(10);
        c.connect(opts);
        return c;
    }

    /** One request: subscribes to its reply first; returns the reply (metrics, body) or null on timeout. */
    static KuraMessages.Decoded request(MqttClient c, String account, String hub, String operator, String method,
            String resource, Map<String, Object> metrics, int timeoutSeconds) throws Exception {
        String requestId = "hubctl-" + System.nanoTime();
        String replyTopic = "$EDC/" + account + "/" + operator + "/DEPLOY-V2/REPLY/" + requestId;
        KuraMessages.Decoded[] reply = new KuraMessages.Decoded[1];
        CountDownLatch got = new CountDownLatch(1);
        c.subscribe(replyTopic, 1, (t, m) -> {
            reply[0] = KuraMessages.decode(m.getPayload());
            got.countDown();
        });
        Map<String, Object> all = new LinkedHashMap<>(metrics);
        all.put("request.id", requestId);
        all.put("requester.client.id", operator);
        c.publish("$EDC/" + account + "/" + hub + "/DEPLOY-V2/" + method + "/" + resource, KuraMessages.encode(all, null),
                1, false);
        boolean ok = got.await(timeoutSeconds, TimeUnit.SECONDS);
        c.unsubscribe(replyTopic);
        return ok ? reply[0] : null;
    }

    static int deploy(Map<String, String> o) throws Exception {
        String account = o.getOrDefault("account", "modhub");
        String operator = o.getOrDefault("operator", "hubctl");
        String[] hubs = need(o, "hub").split(",");
        long job = Long.parseLong(o.getOrDefault("job", Long.toString(System.currentTimeMillis() % 1_000_000_000L)));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dp.job.id", job);
        m.put("dp.uri", need(o, "uri"));
        m.put("dp.name", need(o, "name"));
        m.put("dp.version", need(o, "version"));
        m.put("dp.download.protocol", need(o, "uri").startsWith("https") ? "HTTPS" : "HTTP");
        m.put("dp.install", true);
        if (o.containsKey("hash")) {
            m.put("dp.download.hash", o.get("hash"));
        } else if (o.containsKey("file")) {
            m.put("dp.download.hash", "SHA256:" + sha256(Files.readAllBytes(Path.of(o.get("file")))));
        }
        int timeout = Integer.parseInt(o.getOrDefault("timeout", "30"));
        int failures = 0;
        MqttClient c = connect(o);
        try {
            for (String hub : hubs) {
                KuraMessages.Decoded r = request(c, account, hub.trim(), operator, "EXEC", "download", m, timeout);
                if (r == null) {
                    System.out.println(hub + ": no reply within " + timeout + " s");
                    failures++;
                } else if (!"200".equals(String.valueOf(r.metrics().get("response.code")))) {
                    System.out.println(hub + ": refused " + r.metrics().get("response.code") + " "
                            + r.metrics().getOrDefault("response.exception.message", ""));
                    failures++;
                } else {
                    System.out.println(hub + ": job " + job + " accepted");
                }
            }
        } finally {
            c.disconnect();
            c.close();
        }
        System.out.println("job " + job + ": " + (hubs.length - failures) + " of " + hubs.length + " hubs accepted"
                + " (hubctl watch --job " + job + ")");
        return failures == 0 ? OK : ERROR;
    }

    static int watch(Map<String, String> o) throws Exception {
        String account = o.getOrDefault("account", "modhub");
        String operator = o.getOrDefault("operator", "hubctl");
        String[] hubs = need(o, "hub").split(",");
        String job = need(o, "job");
        int timeout = Integer.parseInt(o.getOrDefault("timeout", "600"));
        Map<String, String> last = new ConcurrentHashMap<>();
        Map<String, String> outcome = new ConcurrentHashMap<>();
        CountDownLatch done = new CountDownLatch(hubs.length);
        MqttClient c = connect(o);
        try {
            for (String h : hubs) {
                String hub = h.trim();
                c.subscribe(account + "/" + hub + "/DEPLOY-V2/NOTIFY/" + operator + "/#", 1, (t, msg) -> {
                    String json = new String(KuraDataCodec.decode(msg.getPayload()).body(), StandardCharsets.UTF_8);
                    if (!json.contains("\"job.id\":" + job + ",")) {
                        return;
                    }
                    String kind = t.substring(t.lastIndexOf('/') + 1);
                    int progress = Integer.parseInt(field(json, "dp." + kind + ".progress", "0"));
                    String status = field(json, "dp." + kind + ".status", "?");
                    String result = field(json, "dp.ota.result", "");
                    String line = String.format("%-18s %-9s [%-20s] %3d%% %s %s %s", hub, kind, "#".repeat(progress / 5),
                            progress, status, result.equals("IN_PROGRESS") ? field(json, "dp.ota.phase", "") : result,
                            field(json, "dp." + kind + ".error.message", ""));
                    if (!line.equals(last.put(hub + kind, line))) {
                        System.out.println(line.stripTrailing());
                    }
                    boolean finalInstall = !kind.equals("download") && !status.equals("IN_PROGRESS");
                    boolean failedDownload = kind.equals("download") && (status.equals("FAILED") || status.equals("CANCELLED"));
                    if ((finalInstall || failedDownload) && outcome.putIfAbsent(hub, result.isEmpty() ? status : result) == null) {
                        done.countDown();
                    }
                });
            }
            // a job that finished before we subscribed: ask each hub for its last install and download
            for (String h : hubs) {
                String hub = h.trim();
                for (String kind : new String[] { "install", "download" }) {
                    KuraMessages.Decoded r = request(c, account, hub, operator, "GET", kind, Map.of(), 30);
                    if (r == null || !job.equals(String.valueOf(r.metrics().get("job.id")))) {
                        continue;
                    }
                    String status = String.valueOf(r.metrics().get("dp." + kind + ".status"));
                    String result = String.valueOf(r.metrics().getOrDefault("dp.ota.result", status));
                    boolean fin = kind.equals("install") ? !status.equals("IN_PROGRESS")
                            : status.equals("FAILED") || status.equals("CANCELLED");
                    if (fin && outcome.putIfAbsent(hub, result) == null) {
                        System.out.println(String.format("%-18s %-9s %s %s %s", hub, kind, status, result,
                                r.metrics().getOrDefault("dp." + kind + ".error.message", "")).stripTrailing());
                        done.countDown();
                    }
                }
            }
            boolean all = done.await(timeout, TimeUnit.SECONDS);
            System.out.println("summary job " + job + ":");
            int failed = 0;
            for (String h : hubs) {
                String r = outcome.getOrDefault(h.trim(), "no result");
                System.out.println("  " + h.trim() + " " + r);
                if (!r.equals("COMMITTED") && !r.equals("ALREADY_DONE")) {
                    failed++;
                }
            }
            return !all ? TIMEOUT : failed == 0 ? OK : JOB_FAILED;
        } finally {
            c.disconnect();
            c.close();
        }
    }

    static String field(String json, String name, String dflt) {
        int i = json.indexOf("\"" + name + "\":");
        if (i < 0) {
            return dflt;
        }
        int s = i + name.length() + 3;
        if (json.charAt(s) == '"') {
            StringBuilder sb = new StringBuilder();
            for (int k = s + 1; k < json.length() && json.charAt(k) != '"'; k++) {
                if (json.charAt(k) == '\\') {
                    k++;
                }
                sb.append(json.charAt(k));
            }
            return sb.toString();
        }
        int e = s;
        while (e < json.length() && json.charAt(e) != ',' && json.charAt(e) != '}') {
            e++;
        }
        return json.substring(s, e);
    }

    static int get(Map<String, String> o, String resource) throws Exception {
        MqttClient c = connect(o);
        try {
            KuraMessages.Decoded r = request(c, o.getOrDefault("account", "modhub"), need(o, "hub"),
                    o.getOrDefault("operator", "hubctl"), "GET", resource, Map.of(),
                    Integer.parseInt(o.getOrDefault("timeout", "30")));
            if (r == null) {
                System.err.println("hubctl: no reply");
                return TIMEOUT;
            }
            if (!"200".equals(String.valueOf(r.metrics().get("response.code")))) {
                System.err.println("hubctl: " + r.metrics());
                return ERROR;
            }
            String body = new String(r.body(), StandardCharsets.UTF_8);
            for (String item : body.replaceFirst("^\\[", "").replaceFirst("]$", "").split("},\\{")) {
                if (!item.isBlank()) {
                    String it = item.startsWith("{") ? item : "{" + item;
                    it = it.endsWith("}") ? it : it + "}";
                    System.out.println(resource.equals("bundles")
                            ? String.format("%-4s %-45s %-20s %s", field(it, "id", ""), field(it, "name", ""),
                                    field(it, "version", ""), field(it, "state", ""))
                            : String.format("%-30s %-15s %s", field(it, "name", ""), field(it, "version", ""),
                                    field(it, "bundles", "")));
                }
            }
            return OK;
        } finally {
            c.disconnect();
            c.close();
        }
    }

    static int events(Map<String, String> o) throws Exception {
        String prefix = o.getOrDefault("account", "modhub") + "/" + need(o, "hub") + "/";
        int timeout = Integer.parseInt(o.getOrDefault("timeout", "0"));
        MqttClient c = connect(o);
        try {
            c.subscribe(prefix + "#", 1, (t, msg) -> {
                KuraDataCodec.DataMessage d = KuraDataCodec.decode(msg.getPayload());
                byte[] body = d.body();
                boolean text = body.length > 0 && new String(body, StandardCharsets.UTF_8).chars().allMatch(ch -> ch >= 0x20 || ch == '\n');
                System.out.println(d.timestamp().map(Object::toString).orElse("-") + " " + t.substring(prefix.length()) + " "
                        + (text ? new String(body, StandardCharsets.UTF_8) : HexFormat.of().formatHex(body)));
            });
            if (timeout > 0) {
                Thread.sleep(timeout * 1000L);
            } else {
                Thread.currentThread().join();
            }
            return OK;
        } catch (MqttException e) {
            throw e;
        } finally {
            c.disconnect();
            c.close();
        }
    }
}
