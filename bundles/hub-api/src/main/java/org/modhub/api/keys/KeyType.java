package org.modhub.api.keys;

import java.util.Locale;

/** What a device key is for; each has a fixed length. */
public enum KeyType {
    /** AES-128 key of an M-Bus meter (EN 13757-7 security modes 5 and 7). */
    MBUS_AES128("mbus", 16, "AES"),
    /** The hub's DLMS/COSEM system title for an association (not secret, kept with its keys). */
    DLMS_SYSTEM_TITLE("title", 8, "DLMS-SystemTitle"),
    /** DLMS/COSEM global unicast encryption (block cipher) key, security suite 0. */
    DLMS_BLOCK_CIPHER("ek", 16, "AES"),
    /** DLMS/COSEM authentication key, security suite 0. */
    DLMS_AUTHENTICATION("ak", 16, "AES");

    private final String shortName;
    private final int length;
    private final String algorithm;

    KeyType(String shortName, int length, String algorithm) {
        this.shortName = shortName;
        this.length = length;
        this.algorithm = algorithm;
    }

    /** The name used in shell commands ({@code mbus}, {@code title}, {@code ek}, {@code ak}). */
    public String shortName() {
        return shortName;
    }

    /** Length of the material in octets. */
    public int length() {
        return length;
    }

    /** The algorithm name of the {@link javax.crypto.SecretKey} a provider hands out. */
    public String algorithm() {
        return algorithm;
    }

    /** By {@link #shortName()} or enum name, case-insensitive. */
    public static KeyType parse(String text) {
        String t = text == null ? "" : text.strip();
        for (KeyType k : values()) {
            if (k.shortName.equalsIgnoreCase(t) || k.name().equalsIgnoreCase(t)) {
                return k;
            }
        }
        throw new IllegalArgumentException("key type '" + text + "' is not one of mbus, title, ek, ak");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
