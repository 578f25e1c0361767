package org.modhub.core.internal.db;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
        String folder = OSInfo.getNativeLibFolderPathForCurrentOS();
        String name = System.mapLibraryName("sqlitejdbc");
        String resource = "/org/sqlite/native/" + folder + "/" + name;
        Path dir = dataDir.resolve("native").resolve("sqlite-jdbc-" + sqlite.getVersion()).resolve(folder);
        Path lib = dir.resolve(name);
        if (!Files.isRegularFile(lib)) {
            Files.createDirectories(dir);
            Path part = Files.createTempFile(dir, name, ".part");
            try (InputStream in = SQLiteJDBCLoader.class.getResourceAsStream(resource)) {
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
        return lib;
    }
}
