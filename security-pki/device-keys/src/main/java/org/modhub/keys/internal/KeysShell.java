package org.modhub.keys.internal;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.Set;
import java.util.SortedMap;
import java.util.StringJoiner;
import java.util.TreeSet;
import org.modhub.api.keys.DeviceKeyException;
import org.modhub.api.keys.DeviceKeys;
import org.modhub.api.keys.KeyType;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The shell commands of the device keys: {@code keys:put <id> <type> <hex> [<type> <hex> ...]} (types
 * {@code mbus}, {@code title}, {@code ek}, {@code ak}), {@code keys:list} (ids and types, never keys),
 * {@code keys:remove <id>}. Output and refusals never show key material.
 */
@Component(service = KeysShell.class, property = {"osgi.command.scope=keys", "osgi.command.function=put",
    "osgi.command.function=list", "osgi.command.function=remove"})
public class KeysShell {
    private final DeviceKeys keys;

    @Activate
    public KeysShell(@Reference DeviceKeys keys) {
        this.keys = keys;
    }


    /** {@code keys:put <id> <type> <hex> [<type> <hex> ...]}: refusals name the field, never a key. */
    public String put(String keyId, String... typeAndHex) throws DeviceKeyException {
        if (typeAndHex.length == 0 || typeAndHex.length % 2 != 0) {
            return "usage: keys:put <id> <type> <hex> [<type> <hex> ...]; types: mbus, title, ek, ak";
        }
        EnumMap<KeyType, byte[]> keys = new EnumMap<>(KeyType.class);
        try {
            DeviceKeys.checkKeyId(keyId);
            for (int i = 0; i < typeAndHex.length; i += 2) {
                KeyType type = KeyType.parse(typeAndHex[i]);
                byte[] m;
                try {
                    m = HexFormat.of().parseHex(typeAndHex[i + 1].replace(" ", ""));
                } catch (IllegalArgumentException e) {
                    return "refused: " + type.shortName() + ": not hex";
                }
                keys.put(type, m);
            }
            this.keys.put(keyId, keys, "shell");
        } catch (IllegalArgumentException e) {
            return "refused: " + e.getMessage();
        } finally {
            keys.values().forEach(m -> Arrays.fill(m, (byte) 0));
        }
        return "stored device keys '" + keyId + "' " + keys.keySet();
    }

    /** {@code keys:list}: one line per id with its key types. */
    public String list() throws DeviceKeyException {
        SortedMap<String, Set<KeyType>> all = this.keys.list();
        if (all.isEmpty()) {
            return "(no device keys)";
        }
        StringJoiner out = new StringJoiner("\n");
        all.forEach((id, types) -> out.add(id + " " + new TreeSet<>(types)));
        return out.toString();
    }

    /** {@code keys:remove <id>}. */
    public String remove(String keyId) throws DeviceKeyException {
        try {
            return this.keys.remove(keyId, "shell") ? "removed device keys '" + keyId + "'" : "no device keys '" + keyId + "'";
        } catch (IllegalArgumentException e) {
            return "refused: " + e.getMessage();
        }
    }

}
