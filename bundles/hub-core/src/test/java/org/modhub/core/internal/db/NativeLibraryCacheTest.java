package org.modhub.core.internal.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import org.junit.jupiter.api.Test;
import org.sqlite.util.OSInfo;

class NativeLibraryCacheTest {
    /** The quick platform check must name the folder sqlite-jdbc's own detection names, or nothing. */
    @Test
    void knownFolderAgreesWithSqliteJdbc() {
        String known = NativeLibraryCache.knownFolder();
        if (known != null) {
            assertEquals(OSInfo.getNativeLibFolderPathForCurrentOS(), known);
        }
    }

    /** On the platforms the hub is built and tested on, the quick path is taken. */
    @Test
    void linuxOnX86OrArmIsKnown() {
        String arch = System.getProperty("os.arch");
        if ("Linux".equals(System.getProperty("os.name")) && (arch.equals("amd64") || arch.equals("aarch64"))) {
            assertNotNull(NativeLibraryCache.knownFolder());
        }
    }
}
