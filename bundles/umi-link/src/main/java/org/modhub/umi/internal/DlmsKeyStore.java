package org.modhub.umi.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The DLMS keys of the hub's meter links, encrypted at rest in one PKCS#12 file (JDK PKCS12: entries
 * protected with PBES2/AES-256, the file with an HMAC-SHA256 integrity check) under a secret from a
 * {@link SecretSource}. A key id names three entries: {@code <id>.title} (the hub's system title: not
 * secret, kept beside the keys so one id names everything), {@code <id>.ek} and {@code <id>.ak}.
 * Every change is written to a new file, synced and moved over the old one (0600). Opening derives
 * keys from the secret (a few hundred ms): never on the framework's start path. Thread-safe.
 */
public final class DlmsKeyStore {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_:-]{0,63}");

    /** The key store refuses: wrong secret, damaged file, or I/O failure. */
    public static final class KeyStoreException extends Exception {
        private static final long serialVersionUID = 1L;

        KeyStoreException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Path file;
    private final char[] secret;
    private final KeyStore store;
    private final KeyStore.PasswordProtection protection;

    /**
     * Opens the store at {@code file}, or an empty one if the file does not exist yet.
     *
     * @throws KeyStoreException if the file exists and the secret does not open it
     */
    public DlmsKeyStore(Path file, char[] secret) throws KeyStoreException {
        this.file = file;
        this.secret = secret.clone();
        this.protection = new KeyStore.PasswordProtection(this.secret);
        try {
            store = KeyStore.getInstance("PKCS12");
            if (Files.exists(file)) {
                store.load(new ByteArrayInputStream(Files.readAllBytes(file)), this.secret);
            } else {
                store.load(null, null);
            }
        } catch (IOException | GeneralSecurityException e) {
            throw new KeyStoreException("DLMS key store " + file + " does not open with the configured secret"
                    + " (wrong secret or damaged file): " + e.getClass().getSimpleName(), e);
        }
    }

    public static void checkId(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("a key id has 1..64 characters [A-Za-z0-9_:-], starting with a letter"
                    + " or digit");
        }
    }

    /** Stores (or replaces) the keys of an id; durable when this returns. */
    public synchronized void put(String id, DlmsKeys keys) throws KeyStoreException {
        checkId(id);
        try {
            store.setEntry(id + ".title", entry(keys.systemTitle()), protection);
            store.setEntry(id + ".ek", entry(keys.blockCipherKey()), protection);
            store.setEntry(id + ".ak", entry(keys.authenticationKey()), protection);
        } catch (java.security.KeyStoreException e) {
            throw new KeyStoreException("cannot store keys '" + id + "'", e);
        }
        save();
    }

    private static KeyStore.SecretKeyEntry entry(byte[] bytes) {
        return new KeyStore.SecretKeyEntry(new SecretKeySpec(bytes, "AES"));
    }

    public synchronized Optional<DlmsKeys> get(String id) throws KeyStoreException {
        checkId(id);
        try {
            if (!store.containsAlias(id + ".ek")) {
                return Optional.empty();
            }
            return Optional.of(new DlmsKeys(secret(id + ".title"), secret(id + ".ek"), secret(id + ".ak")));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new KeyStoreException("keys '" + id + "' are damaged or incomplete", e);
        }
    }

    private byte[] secret(String alias) throws GeneralSecurityException {
        KeyStore.Entry e = store.getEntry(alias, protection);
        if (!(e instanceof KeyStore.SecretKeyEntry s)) {
            throw new GeneralSecurityException("no secret entry " + alias);
        }
        SecretKey k = s.getSecretKey();
        return k.getEncoded();
    }

    public synchronized boolean remove(String id) throws KeyStoreException {
        checkId(id);
        try {
            if (!store.containsAlias(id + ".ek")) {
                return false;
            }
            for (String suffix : new String[] {".title", ".ek", ".ak"}) {
                store.deleteEntry(id + suffix);
            }
        } catch (java.security.KeyStoreException e) {
            throw new KeyStoreException("cannot remove keys '" + id + "'", e);
        }
        save();
        return true;
    }

    /** The ids in the store (never the keys). */
    public synchronized List<String> ids() throws KeyStoreException {
        TreeSet<String> ids = new TreeSet<>();
        try {
            for (String alias : Collections.list(store.aliases())) {
                if (alias.endsWith(".ek")) {
                    ids.add(alias.substring(0, alias.length() - 3));
                }
            }
        } catch (java.security.KeyStoreException e) {
            throw new KeyStoreException("cannot list the key store", e);
        }
        return new ArrayList<>(ids);
    }

    private void save() throws KeyStoreException {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            store.store(out, secret);
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = dir.resolve(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            if (Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null) {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } else {
                Files.createFile(tmp);
            }
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(out.toByteArray()));
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | GeneralSecurityException e) {
            throw new KeyStoreException("cannot write the DLMS key store " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "DLMS key store " + file;
    }
}
