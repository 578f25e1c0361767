package org.modhub.core.internal.db;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;
import org.sqlite.SQLiteJDBCLoader;
import org.sqlite.util.OSInfo;

/**
 * Keeps SQLite's native library in the data directory, once per sqlite-jdbc version, and points
 * sqlite-jdbc at it. Left to itself, sqlite-jdbc writes a fresh copy of the library to
 * {@code java.io.tmpdir} at every start (and leaves it behind after a kill -9); on a hub /tmp may be
 * small or mounted noexec. With the cache a restart loads the library in place. Disabled by the
 * framework property {@code modhub.store.nativeCache=false}, or when the library location is
 * already set.
 * <p>
 * This is on the start-up path (every component that needs the store waits for it), so two of
 * sqlite-jdbc's own costs are avoided: its platform detection ({@link OSInfo}) starts a
 * {@code uname -o} process to rule out Android, so on the platforms a hub runs on (glibc or musl
 * Linux on x86-64 or AArch64) the folder is worked out here from {@code os.arch} and the libraries
 * mapped into this process; anything else is left to {@link OSInfo}. And its clean-up of stale
 * copies lists its temporary folder, by default all of {@code java.io.tmpdir}: it is pointed at the
 * cache folder ({@code org.sqlite.tmpdir}), where it finds nothing to clean.
 */
final class NativeLibraryCache {
    static final String PROPERTY = "modhub.store.nativeCache";

    private NativeLibraryCache() {
    }

    /** Returns where the library is, or null when sqlite-jdbc is left to find it itself. */
    static Path prepare(Path dataDir) throws IOException {
        if (System.getProperty("org.sqlite.lib.path") != null) {
            return null;
        }
        Bundle sqlite = FrameworkUtil.getBundle(SQLiteJDBCLoader.class);
        if (sqlite == null) {
            return null; // not in a framework: nothing to key the cache on
        }
        String name = System.mapLibraryName("sqlitejdbc");
        Path base = dataDir.resolve("native").resolve("sqlite-jdbc-" + sqlite.getVersion());
        String folder = knownFolder();
        // the bundle is asked for the library only when it is not cached yet
        if (folder == null || !Files.isRegularFile(base.resolve(folder).resolve(name))
                && SQLiteJDBCLoader.class.getResource(resource(folder, name)) == null) {
            folder = OSInfo.getNativeLibFolderPathForCurrentOS();
        }
        Path dir = base.resolve(folder);
        Path lib = dir.resolve(name);
        if (!Files.isRegularFile(lib)) {
            Files.createDirectories(dir);
            Path part = Files.createTempFile(dir, name, ".part");
            try (InputStream in = SQLiteJDBCLoader.class.getResourceAsStream(resource(folder, name))) {
                if (in == null) {
                    Files.deleteIfExists(part);
                    return null; // no bundled library for this platform: sqlite-jdbc will say so
                }
                Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.move(part, lib, StandardCopyOption.ATOMIC_MOVE);
        }
        System.setProperty("org.sqlite.lib.path", dir.toString());
        System.setProperty("org.sqlite.lib.name", name);
        if (System.getProperty("org.sqlite.tmpdir") == null) {
            System.setProperty("org.sqlite.tmpdir", dir.toString());
        }
        return lib;
    }

    private static String resource(String folder, String name) {
        return "/org/sqlite/native/" + folder + "/" + name;
    }

    /**
     * sqlite-jdbc's folder for this JVM when it runs on Linux on x86-64 or AArch64 (glibc:
     * {@code Linux/x86_64}, musl: {@code Linux-Musl/x86_64}), else null. Android, where OSInfo
     * would say {@code Linux-Android}, is not a hub platform; should the guess ever be wrong, loading
     * the library fails and sqlite-jdbc falls back to its own detection.
     */
    static String knownFolder() {
        if (!"Linux".equals(System.getProperty("os.name"))
                || System.getProperty("java.runtime.name", "").toLowerCase(Locale.ROOT).contains("android")) {
            return null;
        }
        String arch = switch (System.getProperty("os.arch", "").toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> null;
        };
        if (arch == null) {
            return null;
        }
        Boolean musl = muslMapped();
        return musl == null ? null : (musl ? "Linux-Musl/" : "Linux/") + arch;
    }

    /** Whether a musl C library is mapped into this process (null: cannot tell). */
    private static Boolean muslMapped() {
        try {
            String maps = new String(Files.readAllBytes(Paths.get("/proc/self/maps")), StandardCharsets.ISO_8859_1);
            return maps.contains("/ld-musl-") || maps.contains("/libc.musl-");
        } catch (IOException | SecurityException e) {
            return null;
        }
    }
}
