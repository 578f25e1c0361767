package org.modhub.emulator.umi.internal;

import java.util.HexFormat;

/**
 * The meter's security material for suite 0: its 8-byte system title and the 16-byte global
 * unicast encryption (block cipher) and authentication keys it shares with the client.
 */
public record MeterKeys(byte[] systemTitle, byte[] blockCipherKey, byte[] authenticationKey) {
    public MeterKeys {
        if (systemTitle == null || systemTitle.length != 8) {
            throw new IllegalArgumentException("system title must have 8 bytes");
        }
        if (blockCipherKey == null || blockCipherKey.length != 16 || authenticationKey == null
                || authenticationKey.length != 16) {
            throw new IllegalArgumentException("suite 0 keys have 16 bytes");
        }
        systemTitle = systemTitle.clone();
        blockCipherKey = blockCipherKey.clone();
        authenticationKey = authenticationKey.clone();
    }

    public static MeterKeys hex(String systemTitle, String blockCipherKey, String authenticationKey) {
        HexFormat h = HexFormat.of();
        return new MeterKeys(h.parseHex(systemTitle), h.parseHex(blockCipherKey), h.parseHex(authenticationKey));
    }
}
