package org.modhub.umi.internal;

import java.util.Arrays;

/**
 * The secrets of one DLMS association (security suite 0): the hub's system title, the global unicast
 * encryption (block cipher) key and the authentication key. {@link #toString()} never shows a key.
 */
public record DlmsKeys(byte[] systemTitle, byte[] blockCipherKey, byte[] authenticationKey) {
    public DlmsKeys {
        if (systemTitle == null || systemTitle.length != 8) {
            throw new IllegalArgumentException("systemTitle: must have 8 bytes");
        }
        if (blockCipherKey == null || blockCipherKey.length != 16) {
            throw new IllegalArgumentException("blockCipherKey: must have 16 bytes (suite 0)");
        }
        if (authenticationKey == null || authenticationKey.length != 16) {
            throw new IllegalArgumentException("authenticationKey: must have 16 bytes (suite 0)");
        }
        systemTitle = systemTitle.clone();
        blockCipherKey = blockCipherKey.clone();
        authenticationKey = authenticationKey.clone();
    }

    @Override
    public byte[] systemTitle() {
        return systemTitle.clone();
    }

    @Override
    public byte[] blockCipherKey() {
        return blockCipherKey.clone();
    }

    @Override
    public byte[] authenticationKey() {
        return authenticationKey.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DlmsKeys k && Arrays.equals(systemTitle, k.systemTitle)
                && Arrays.equals(blockCipherKey, k.blockCipherKey) && Arrays.equals(authenticationKey, k.authenticationKey);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(systemTitle);
    }

    @Override
    public String toString() {
        return "DlmsKeys[systemTitle=" + java.util.HexFormat.of().formatHex(systemTitle) + ", keys=<hidden>]";
    }
}
