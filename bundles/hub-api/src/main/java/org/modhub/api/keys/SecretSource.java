package org.modhub.api.keys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * Where a key store's secret comes from, one syntax for every key store of the hub:
 * {@code file:<path>} (a file its owner alone may read or write, mode 0600 or 0400; made with 32
 * random octets on first use when asked) or {@code env:<NAME>} (an environment variable, for
 * development). A secret has at least 16 characters; it is never logged.
 */
public final class SecretSource {
    /** Shortest secret accepted, in characters. */
    public static final int MIN_LENGTH = 16;

    private static final Set<PosixFilePermission> OPEN = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);

    private SecretSource() {
    }

    /** @throws IllegalArgumentException if {@code spec} is neither {@code file:<path>} nor {@code env:<NAME>} */
    public static String check(String spec) {
        boolean file = spec != null && spec.startsWith("file:") && spec.length() > 5;
        boolean env = spec != null && spec.startsWith("env:") && spec.length() > 4;
        if (!file && !env) {
            throw new IllegalArgumentException("must be file:<path> or env:<NAME>");
        }
        return spec;
    }

    /**
     * Reads the secret (the caller clears the array after use).
     *
     * @param create make a missing {@code file:} secret with random content
     * @throws IllegalArgumentException naming what is wrong: bad spec, not set, missing, too short, open to others
     */
    public static char[] read(String spec, boolean create, Map<String, String> env, SecureRandom random)
            throws IOException {
        check(spec);
        String value;
        if (spec.startsWith("env:")) {
            String name = spec.substring(4);
            value = env.get(name);
            if (value == null) {
                throw new IllegalArgumentException("environment variable " + name + " is not set");
            }
        } else {
            Path file = Path.of(spec.substring(5));
            if (create && !Files.exists(file)) {
                make(file, random);
            }
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("secret file " + file + " does not exist");
            }
            PosixFileAttributeView attrs = Files.getFileAttributeView(file, PosixFileAttributeView.class);
            if (attrs != null) {
                Set<PosixFilePermission> mode = attrs.readAttributes().permissions();
                if (!java.util.Collections.disjoint(mode, OPEN)) {
                    throw new IllegalArgumentException("secret file " + file + " is accessible to others ("
                            + PosixFilePermissions.toString(mode) + "): chmod 600 it");
                }
            }
            value = Files.readString(file, StandardCharsets.UTF_8).strip();
        }
        if (value.length() < MIN_LENGTH) {
            throw new IllegalArgumentException("the secret from " + spec + " is shorter than " + MIN_LENGTH
                    + " characters");
        }
        return value.toCharArray();
    }

    private static void make(Path file, SecureRandom random) throws IOException {
        byte[] raw = new byte[32];
        random.nextBytes(raw);
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        boolean posix = Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null;
        try {
            Path made = posix ? Files.createFile(file, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rw-------"))) : Files.createFile(file);
            Files.writeString(made, Base64.getEncoder().encodeToString(raw) + "\n", StandardCharsets.UTF_8);
        } catch (FileAlreadyExistsException raced) {
            // another start made it meanwhile: that one is read
        }
    }
}
