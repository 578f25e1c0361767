package org.modhub.keys.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modhub.api.keys.SecretSource;

/** The hub-api secret source the device keys derive their key-encryption key from. */
class SecretSourceTest {
    @TempDir
    Path dir;

    static char[] read(String spec, boolean create, Map<String, String> env) throws Exception {
        return SecretSource.read(spec, create, env, new SecureRandom());
    }

    @Test
    void fileSecretsAreMadeOwnerOnlyAndRefusedWhenOpenToOthers() throws Exception {
        Path secret = dir.resolve("s/device-keys.secret");
        char[] made = read("file:" + secret, true, Map.of());
        assertTrue(made.length >= SecretSource.MIN_LENGTH);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)));
        assertEquals(new String(made), new String(read("file:" + secret, true, Map.of())), "made once, then read");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r--r--"));
        IllegalArgumentException open = assertThrows(IllegalArgumentException.class,
                () -> read("file:" + secret, true, Map.of()));
        assertTrue(open.getMessage().contains("chmod 600"), open.getMessage());
        assertThrows(IllegalArgumentException.class, () -> read("file:" + dir.resolve("missing"), false, Map.of()));
    }

    @Test
    void environmentSecretsAndBadSpecs() throws Exception {
        assertEquals("0123456789abcdef!", new String(read("env:K", false, Map.of("K", "0123456789abcdef!"))));
        assertThrows(IllegalArgumentException.class, () -> read("env:K", false, Map.of("K", "short")));
        assertThrows(IllegalArgumentException.class, () -> read("env:K", false, Map.of()));
        assertThrows(IllegalArgumentException.class, () -> read("plain:xyz", false, Map.of()));
        assertThrows(IllegalArgumentException.class, () -> SecretSource.check("file:"));
    }
}
