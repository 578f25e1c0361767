package org.modhub.api.security;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.modhub.api.common.Eui64;

/**
 * The list of files of an OTA package with the SHA-256 of each, and who signed it. Text form (UTF-8,
 * lines ending in LF, no other whitespace than single spaces):
 *
 * <pre>
 * modhub-package-manifest 1
 * signer 0123456789ABCDEF
 * sha256 &lt;64 lower-case hex digits&gt; &lt;file name&gt;
 * ...
 * </pre>
 *
 * File names are 1..255 characters of {@code A-Z a-z 0-9 . _ - /}, not starting with '/', without
 * "..", and unique; a manifest lists 1..{@value #MAX_FILES} files.
 */
public final class PackageManifest {
    public static final String HEADER = "modhub-package-manifest 1";
    public static final int MAX_FILES = 4096;
    /** Largest manifest accepted. */
    public static final int MAX_BYTES = 1 << 20;

    private final Eui64 signer;
    private final Map<String, byte[]> digests;

    public PackageManifest(Eui64 signer, Map<String, byte[]> digests) {
        this.signer = Objects.requireNonNull(signer, "signer");
        if (digests == null || digests.isEmpty() || digests.size() > MAX_FILES) {
            throw new IllegalArgumentException("a manifest lists 1.." + MAX_FILES + " files");
        }
        Map<String, byte[]> copy = new LinkedHashMap<>();
        digests.forEach((name, digest) -> {
            checkName(name);
            if (digest == null || digest.length != 32) {
                throw new IllegalArgumentException("SHA-256 of " + name + " must have 32 bytes");
            }
            copy.put(name, digest.clone());
        });
        this.digests = Collections.unmodifiableMap(copy);
    }

    private static void checkName(String name) {
        if (name == null || name.isEmpty() || name.length() > 255 || name.startsWith("/") || name.contains("..")
                || !name.matches("[A-Za-z0-9._/-]+")) {
            throw new IllegalArgumentException("bad file name in manifest: '" + name + "'");
        }
    }

    public Eui64 signer() {
        return signer;
    }

    /** File names in manifest order. */
    public java.util.Set<String> files() {
        return digests.keySet();
    }

    /** The SHA-256 listed for a file, or null if it is not listed. */
    public byte[] digest(String name) {
        byte[] d = digests.get(name);
        return d == null ? null : d.clone();
    }

    public byte[] encode() {
        StringBuilder sb = new StringBuilder(HEADER).append('\n').append("signer ").append(signer.toHex()).append('\n');
        HexFormat hex = HexFormat.of();
        digests.forEach((name, d) -> sb.append("sha256 ").append(hex.formatHex(d)).append(' ').append(name).append('\n'));
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** @throws IllegalArgumentException if the bytes are not a well-formed manifest */
    public static PackageManifest parse(byte[] bytes) {
        if (bytes == null || bytes.length == 0 || bytes.length > MAX_BYTES) {
            throw new IllegalArgumentException("manifest size out of 1.." + MAX_BYTES);
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (!text.endsWith("\n") || !java.util.Arrays.equals(text.getBytes(StandardCharsets.UTF_8), bytes)) {
            throw new IllegalArgumentException("manifest must be UTF-8 text ending in a line feed");
        }
        String[] lines = text.substring(0, text.length() - 1).split("\n", -1);
        if (lines.length < 3 || !lines[0].equals(HEADER)) {
            throw new IllegalArgumentException("not a modhub package manifest");
        }
        if (!lines[1].startsWith("signer ")) {
            throw new IllegalArgumentException("second line must name the signer");
        }
        Eui64 signer = Eui64.parse(lines[1].substring(7));
        Map<String, byte[]> digests = new LinkedHashMap<>();
        HexFormat hex = HexFormat.of();
        for (int i = 2; i < lines.length; i++) {
            String[] parts = lines[i].split(" ", -1);
            if (parts.length != 3 || !parts[0].equals("sha256") || !parts[1].matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException("bad manifest line " + (i + 1));
            }
            if (digests.put(parts[2], hex.parseHex(parts[1])) != null) {
                throw new IllegalArgumentException("file listed twice: " + parts[2]);
            }
        }
        return new PackageManifest(signer, digests);
    }
}
