package org.modhub.pki.internal;

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
 * Where the key-store password comes from: {@code file:<path>} (a file readable by its owner only,
 * mode 0600 or 0400; created with 32 random bytes on first boot if {@code create} is set) or
 * {@code env:<NAME>} (an environment variable, for development). A secret has at least 16 characters.
 */
public final class SecretSource {
    private SecretSource() {
    }

    /**
     * @throws IllegalArgumentException naming what is wrong (bad spec, missing, too short, too open)
     */
    public static char[] read(String spec, boolean create, Map<String, String> env, SecureRandom random)
            throws IOException {
        String secret;
        if (spec.startsWith("env:")) {
            String name = spec.substring(4);
            secret = env.get(name);
            if (secret == null) {
                throw new IllegalArgumentException("environment variable " + name + " is not set");
            }
        } else if (spec.startsWith("file:")) {
            Path file = Path.of(spec.substring(5));
            if (!Files.exists(file) && create) {
                byte[] raw = new byte[32];
                random.nextBytes(raw);
                Files.createDirectories(file.toAbsolutePath().getParent());
                try {
                    if (Files.getFileAttributeView(file.toAbsolutePath().getParent(), PosixFileAttributeView.class) != null) {
                        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                    } else {
                        Files.createFile(file);
                    }
                    Files.writeString(file, Base64.getEncoder().encodeToString(raw) + "\n");
                } catch (FileAlreadyExistsException raced) {
                    // another start created it: read that one
                }
            }
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("secret file " + file + " does not exist");
            }
            PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
            if (view != null) {
                Set<PosixFilePermission> p = view.readAttributes().permissions();
                for (PosixFilePermission open : new PosixFilePermission[] {PosixFilePermission.GROUP_READ,
                    PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE}) {
                    if (p.contains(open)) {
                        throw new IllegalArgumentException("secret file " + file + " is accessible to others ("
                                + PosixFilePermissions.toString(p) + "): chmod 600 it");
                    }
                }
            }
            secret = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).strip();
        } else {
            throw new IllegalArgumentException("secret source must be file:<path> or env:<NAME>, not '" + spec + "'");
        }
        if (secret.length() < 16) {
            throw new IllegalArgumentException("the secret from " + spec + " is shorter than 16 characters");
        }
        return secret.toCharArray();
    }
}
