package org.modhub.keys.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.modhub.api.keys.DeviceKeyException;
import org.modhub.api.keys.KeyType;
import org.modhub.testing.memory.MemoryStateStore;
import org.osgi.service.log.Logger;

class DeviceKeyServiceTest {
    static final char[] SECRET = "a test secret of enough length".toCharArray();
    static final byte[] MBUS = HexFormat.of().parseHex("00112233445566778899aabbccddeeff");
    static final byte[] TITLE = HexFormat.of().parseHex("4d4f444855420001");

    final MemoryStateStore state = new MemoryStateStore();

    static Logger quiet() {
        return (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class},
                (p, m, a) -> m.getReturnType() == boolean.class ? Boolean.FALSE : null);
    }

    @Test
    void storesKeysSealedAndHandsThemOutAsSecretKeys() throws Exception {
        KeyVault vault = new KeyVault(state, SECRET, new SecureRandom());
        vault.put("water-1", Map.of(KeyType.MBUS_AES128, MBUS));
        vault.put("elec", Map.of(KeyType.DLMS_SYSTEM_TITLE, TITLE, KeyType.DLMS_BLOCK_CIPHER, MBUS));
        vault.put("elec", Map.of(KeyType.DLMS_AUTHENTICATION, MBUS)); // merges, keeps the others

        assertArrayEquals(MBUS, vault.key("water-1", KeyType.MBUS_AES128).orElseThrow().getEncoded());
        assertEquals("AES", vault.key("water-1", KeyType.MBUS_AES128).orElseThrow().getAlgorithm());
        assertTrue(vault.key("water-1", KeyType.DLMS_BLOCK_CIPHER).isEmpty());
        assertArrayEquals(TITLE, vault.key("elec", KeyType.DLMS_SYSTEM_TITLE).orElseThrow().getEncoded());
        assertEquals(Set.of(KeyType.DLMS_SYSTEM_TITLE, KeyType.DLMS_BLOCK_CIPHER, KeyType.DLMS_AUTHENTICATION),
                vault.list().get("elec"));

        // at rest: no key material in the stored values
        for (byte[] v : state.entries(KeyVault.NAMESPACE).values()) {
            String hex = HexFormat.of().formatHex(v);
            assertFalse(hex.contains("00112233445566778899aabbccddeeff"));
            assertFalse(hex.contains("4d4f444855420001"));
        }
    }

    @Test
    void wrongSecretAndMovedEntriesAreRefused() throws Exception {
        KeyVault vault = new KeyVault(state, SECRET, new SecureRandom());
        vault.put("water-1", Map.of(KeyType.MBUS_AES128, MBUS));
        assertThrows(DeviceKeyException.class,
                () -> new KeyVault(state, "another secret of enough length".toCharArray(), new SecureRandom()));
        KeyVault again = new KeyVault(state, SECRET, new SecureRandom());
        assertArrayEquals(MBUS, again.key("water-1", KeyType.MBUS_AES128).orElseThrow().getEncoded());

        state.put(KeyVault.NAMESPACE, "moved", state.get(KeyVault.NAMESPACE, "water-1").orElseThrow());
        DeviceKeyException e = assertThrows(DeviceKeyException.class, () -> again.key("moved", KeyType.MBUS_AES128));
        assertTrue(e.getMessage().contains("'moved'"));
        byte[] altered = state.get(KeyVault.NAMESPACE, "water-1").orElseThrow();
        altered[altered.length - 1] ^= 1;
        state.put(KeyVault.NAMESPACE, "water-1", altered);
        assertThrows(DeviceKeyException.class, () -> again.key("water-1", KeyType.MBUS_AES128));
    }

    @Test
    void refusesBadIdsAndLengths() throws Exception {
        KeyVault vault = new KeyVault(state, SECRET, new SecureRandom());
        assertThrows(IllegalArgumentException.class, () -> vault.put("#salt", Map.of(KeyType.MBUS_AES128, MBUS)));
        assertThrows(IllegalArgumentException.class, () -> vault.put("", Map.of(KeyType.MBUS_AES128, MBUS)));
        assertThrows(IllegalArgumentException.class, () -> vault.put("x", Map.of(KeyType.DLMS_SYSTEM_TITLE, MBUS)));
        assertThrows(IllegalArgumentException.class, () -> vault.put("x", Map.of()));
        assertTrue(vault.list().isEmpty());
    }

    @Test
    void shellCommandsNeverPrintKeys() throws Exception {
        DeviceKeyService service = new DeviceKeyService(new KeyVault(state, SECRET, new SecureRandom()), quiet());
        KeysShell s = new KeysShell(service);
        assertTrue(s.put("water-1", "mbus", "00112233445566778899AABBCCDDEEFF").startsWith("stored"));
        assertTrue(s.put("elec", "title", "4d4f444855420001", "ek", "00112233445566778899aabbccddeeff", "ak",
                "00112233445566778899aabbccddeeff").startsWith("stored"));
        assertEquals("refused: ek: not hex", s.put("elec", "ek", "zz"));
        assertTrue(s.put("elec", "ek", "0011").startsWith("refused: ek: must have 16 octets"));
        assertTrue(s.put("elec", "pin", "0011").startsWith("refused: key type"));
        assertTrue(s.put("elec", "ek").startsWith("usage"));
        String list = s.list();
        assertTrue(list.contains("water-1 [mbus_aes128]"), list);
        assertTrue(list.contains("elec ["), list);
        assertFalse(list.toLowerCase().contains("00112233"), "ids and types only");
        assertEquals("removed device keys 'water-1'", s.remove("water-1"));
        assertEquals("no device keys 'water-1'", s.remove("water-1"));
        assertTrue(service.key("water-1", KeyType.MBUS_AES128).isEmpty());
        assertTrue(service.toString().getBytes(StandardCharsets.UTF_8).length < 100);
    }
}
