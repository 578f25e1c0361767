package org.modhub.umi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DlmsKeyStoreTest {
    static final HexFormat HEX = HexFormat.of();
    static final DlmsKeys KEYS = new DlmsKeys(HEX.parseHex("4D4F444855420001"), HEX.parseHex(UmiClientTest.EK),
            HEX.parseHex(UmiClientTest.AK));
    static final char[] SECRET = "correct horse battery staple".toCharArray();

    @TempDir
    Path dir;

    static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Test
    void keysSurviveReopeningAndAreEncryptedAtRest() throws Exception {
        Path file = dir.resolve("umi/dlms-keys.p12");
        DlmsKeyStore store = new DlmsKeyStore(file, SECRET);
        assertEquals(List.of(), store.ids());
        store.put("meter-1", KEYS);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        byte[] bytes = Files.readAllBytes(file);
        assertFalse(contains(bytes, KEYS.blockCipherKey()), "no plain block cipher key in the file");
        assertFalse(contains(bytes, KEYS.authenticationKey()), "no plain authentication key in the file");

        DlmsKeyStore reopened = new DlmsKeyStore(file, SECRET);
        assertEquals(List.of("meter-1"), reopened.ids());
        assertEquals(KEYS, reopened.get("meter-1").orElseThrow());
        assertTrue(reopened.get("meter-2").isEmpty());
        assertTrue(reopened.remove("meter-1"));
        assertFalse(reopened.remove("meter-1"));
        assertEquals(List.of(), new DlmsKeyStore(file, SECRET).ids());
        assertFalse(KEYS.toString().contains(UmiClientTest.EK.substring(0, 8).toLowerCase()), KEYS.toString());
    }

    @Test
    void aWrongSecretOrADamagedFileIsRefused() throws Exception {
        Path file = dir.resolve("keys.p12");
        new DlmsKeyStore(file, SECRET).put("m", KEYS);
        assertThrows(DlmsKeyStore.KeyStoreException.class,
                () -> new DlmsKeyStore(file, "another secret of length".toCharArray()));
        byte[] b = Files.readAllBytes(file);
        b[b.length / 2] ^= 0x55;
        Files.write(file, b);
        assertThrows(DlmsKeyStore.KeyStoreException.class, () -> new DlmsKeyStore(file, SECRET));
        assertThrows(IllegalArgumentException.class, () -> DlmsKeyStore.checkId("../etc"));
    }

    @Test
    void secretSources() throws Exception {
        Path secret = dir.resolve("s/keystore.secret");
        char[] made = SecretSource.read("file:" + secret, true, Map.of());
        assertTrue(made.length >= 16);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)));
        assertEquals(new String(made), new String(SecretSource.read("file:" + secret, true, Map.of())));
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r--r--"));
        IllegalArgumentException open = assertThrows(IllegalArgumentException.class,
                () -> SecretSource.read("file:" + secret, true, Map.of()));
        assertTrue(open.getMessage().contains("chmod 600"), open.getMessage());
        assertEquals("0123456789abcdef!", new String(SecretSource.read("env:K", false, Map.of("K", "0123456789abcdef!"))));
        assertThrows(IllegalArgumentException.class, () -> SecretSource.read("env:K", false, Map.of("K", "short")));
        assertThrows(IllegalArgumentException.class, () -> SecretSource.read("env:K", false, Map.of()));
        assertThrows(IllegalArgumentException.class, () -> SecretSource.read("plain:xyz", false, Map.of()));
        Path missing = dir.resolve("missing");
        assertThrows(IllegalArgumentException.class, () -> SecretSource.read("file:" + missing, false, Map.of()));
        Files.writeString(dir.resolve("x"), "x", StandardCharsets.UTF_8);
    }

    @Test
    void shellCommandsNeverPrintKeys() throws Exception {
        UmiKeys keys = new UmiKeys(new DlmsKeyStore(dir.resolve("k.p12"), SECRET), Fakes.logger(new java.util.ArrayList<>()));
        String out = keys.keyput("m1", "4D4F444855420001", UmiClientTest.EK, UmiClientTest.AK);
        assertEquals("stored DLMS keys 'm1'", out);
        assertEquals("m1", keys.keys());
        String refused = keys.keyput("m2", "4D4F4448", UmiClientTest.EK, UmiClientTest.AK);
        assertTrue(refused.startsWith("refused: systemTitle"), refused);
        assertFalse(refused.contains(UmiClientTest.EK));
        assertEquals(KEYS, keys.keys("m1").orElseThrow());
        assertEquals("removed 'm1'", keys.keyremove("m1"));
    }
}
