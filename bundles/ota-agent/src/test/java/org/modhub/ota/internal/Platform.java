package org.modhub.ota.internal;

import java.io.File;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import org.modhub.api.health.HubHealth;
import org.modhub.api.metering.MeteringStore;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * The hub's real core in the crash test's framework: hub-core (store, metering store, health) with SCR,
 * ConfigAdmin, MetaType, EventAdmin, the log service and sqlite-jdbc, taken from the test class path.
 * hub-api is exported by the system bundle (from the class path, at its own package versions), so the
 * test code and hub-core share its types and the child can use {@link MeteringStore} and
 * {@link HubHealth} directly.
 */
final class Platform {
    /** Class-path entries of the platform bundles, by a fragment of their file or module name. */
    static final String[] BUNDLES = { "org.osgi.util.function", "org.osgi.util.promise", "org.osgi.service.component-",
        "org.apache.felix.scr", "org.apache.felix.log", "org.apache.felix.configadmin", "org.apache.felix.metatype",
        "org.apache.felix.eventadmin", "sqlite-jdbc", "hub-core" };

    private Platform() {
    }

    static List<String> classPath() {
        List<String> out = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            out.add(e);
        }
        return out;
    }

    static String entry(String fragment) {
        for (String e : classPath()) {
            String norm = e.replace('\\', '/');
            if (fragment.equals("hub-core") ? norm.contains("/hub-core/") || norm.contains("/hub-core-")
                    : norm.contains("/" + fragment)) {
                return e;
            }
        }
        throw new IllegalStateException("not on the test class path: " + fragment);
    }

    static Manifest manifest(String entry) throws Exception {
        Path p = Path.of(entry);
        if (Files.isDirectory(p)) {
            if (!Files.exists(p.resolve("META-INF/MANIFEST.MF"))) {
                throw new IllegalStateException(p + " has no bundle manifest (bnd writes it when it packages the jar): "
                        + "run the crash test with mvn verify (or package), not mvn test");
            }
            try (InputStream in = Files.newInputStream(p.resolve("META-INF/MANIFEST.MF"))) {
                return new Manifest(in);
            }
        }
        try (JarFile j = new JarFile(p.toFile())) {
            return j.getManifest();
        }
    }

    /** Framework properties: hub-api exported by the system bundle, hub-core's data folder. */
    static Map<String, String> properties(Path data) throws Exception {
        String hubApi = null;
        for (String e : classPath()) {
            String norm = e.replace('\\', '/');
            if (norm.contains("/hub-api/") || norm.contains("/hub-api-")) {
                hubApi = e;
                break;
            }
        }
        if (hubApi == null) {
            throw new IllegalStateException("hub-api not on the test class path");
        }
        Map<String, String> p = new LinkedHashMap<>();
        p.put("org.osgi.framework.system.packages.extra", manifest(hubApi).getMainAttributes().getValue("Export-Package"));
        p.put("modhub.data", data.toString());
        p.put("ds.loglevel", "error");
        return p;
    }

    /** Installs (once, like the hub image) and starts the platform bundles. */
    static void install(BundleContext ctx) throws Exception {
        List<Bundle> installed = new ArrayList<>();
        for (String b : BUNDLES) {
            String entry = entry(b);
            String location = "platform:" + b;
            if (ctx.getBundle(location) != null) {
                continue;
            }
            if (Files.isDirectory(Path.of(entry))) {
                installed.add(ctx.installBundle(location, Files.newInputStream(jarOf(Path.of(entry)))));
            } else {
                try (InputStream in = Files.newInputStream(Path.of(entry))) {
                    installed.add(ctx.installBundle(location, in));
                }
            }
        }
        for (Bundle b : installed) {
            b.start();
        }
    }

    /** A module's target/classes as a jar (the bundle's manifest is already there, written by bnd). */
    static Path jarOf(Path classes) throws Exception {
        Path jar = Files.createTempFile("platform-", ".jar");
        jar.toFile().deleteOnExit();
        Manifest mf = manifest(classes.toString());
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar), mf);
                var files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String name = classes.relativize(f).toString().replace('\\', '/');
                if (name.equals("META-INF/MANIFEST.MF")) {
                    continue;
                }
                out.putNextEntry(new java.util.jar.JarEntry(name));
                out.write(Files.readAllBytes(f));
                out.closeEntry();
            }
        }
        return jar;
    }

    static <T> T service(BundleContext ctx, Class<T> type, Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            ServiceReference<T> ref = ctx.getServiceReference(type);
            if (ref != null) {
                T s = ctx.getService(ref);
                if (s != null) {
                    return s;
                }
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("no " + type.getSimpleName() + " within " + timeout);
    }
}
