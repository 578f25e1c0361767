package org.modhub.umi.internal;

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
import java.util.Map;
import java.util.Set;

/**
 * Where the DLMS key-store secret comes from, as security-pki reads its own: {@code file:<path>} (readable
 * by its owner only, mode 0600 or 0400; created with 32 random bytes on first use when {@code create}
 * is set) or {@code env:<NAME>}. A secret has at least 16 characters.
 */
final class SecretSource {
    private SecretSource() {
    }

    static void checkSpec(String spec) {
        if (spec == null || !(spec.startsWith("file:") && spec.length() > 5 || spec.startsWith("env:") && spec.length() > 4)) {
            throw new IllegalArgumentException("must be file:<path> or env:<NAME>");
        }
    }

    /** @throws IllegalArgumentException naming what is wrong (missing, too short, open to others) */
    static char[] read(String spec, boolean create, Map<String, String> env) throws IOException {
        checkSpec(spec);
        String secret;
        if (spec.startsWith("env:")) {
            secret = env.get(spec.substring(4));
            if (secret == null) {
                throw new IllegalArgumentException("environment variable " + spec.substring(4) + " is not set");
            }
        } else {
            Path file = Path.of(spec.substring(5));
            if (!Files.exists(file) && create) {
                byte[] raw = new byte[32];
                new SecureRandom().nextBytes(raw);
                Path dir = file.toAbsolutePath().getParent();
                Files.createDirectories(dir);
                try {
                    if (Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null) {
                        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                    } else {
                        Files.createFile(file);
                    }
                    Files.writeString(file, Base64.getEncoder().encodeToString(raw) + "\n");
                } catch (FileAlreadyExistsException raced) {
                    // made meanwhile: read that one
                }
            }
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("secret file " + file + " does not exist");
            }
            PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
            if (view != null) {
                Set<PosixFilePermission> p = view.readAttributes().permissions();
                if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.GROUP_WRITE)
                        || p.contains(PosixFilePermission.OTHERS_READ) || p.contains(PosixFilePermission.OTHERS_WRITE)) {
                    throw new IllegalArgumentException("secret file " + file + " is accessible to others ("
                            + PosixFilePermissions.toString(p) + "): chmod 600 it");
                }
            }
            secret = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).strip();
        }
        if (secret.length() < 16) {
            throw new IllegalArgumentException("the secret from " + spec + " is shorter than 16 characters");
        }
        return secret.toCharArray();
    }
}
