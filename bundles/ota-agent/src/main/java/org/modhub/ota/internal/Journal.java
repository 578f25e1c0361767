package org.modhub.ota.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The OTA journal: one small file, replaced atomically, saying where an install stands. Read by the
 * boot guard before anything else starts, so it is a plain file in {@code <modhub.data>/ota}, not in
 * the hub-core store (which is not running yet at that point).
 */
final class Journal {
    enum Phase {
        /** Nothing in progress: the framework runs the known-good set. */
        IDLE,
        /** The trial set is staged and being applied. */
        APPLYING,
        /** The trial set is applied and on probation (health check). */
        TRIAL,
        /** Going back to the known-good set. */
        ROLLING_BACK
    }

    final Properties p;

    private Journal(Properties p) {
        this.p = p;
    }

    static Journal idle() {
        Journal j = new Journal(new Properties());
        j.set("phase", Phase.IDLE.name());
        return j;
    }

    static Journal read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return idle();
        }
        Properties p = new Properties();
        p.load(new ByteArrayInputStream(Files.readAllBytes(file)));
        Journal j = new Journal(p);
        j.phase(); // validates
        return j;
    }

    void write(Path file) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.store(out, null);
        OtaFiles.writeAtomically(file, out.toByteArray());
    }

    Journal copy() {
        Properties c = new Properties();
        c.putAll(p);
        return new Journal(c);
    }

    Phase phase() {
        return Phase.valueOf(p.getProperty("phase", Phase.IDLE.name()));
    }

    Journal phase(Phase phase) {
        return set("phase", phase.name());
    }

    String get(String key) {
        return p.getProperty(key, "");
    }

    int getInt(String key, int dflt) {
        try {
            return Integer.parseInt(p.getProperty(key, Integer.toString(dflt)));
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    Journal set(String key, Object value) {
        if (value == null) {
            p.remove(key);
        } else {
            p.setProperty(key, value.toString());
        }
        return this;
    }

    @Override
    public String toString() {
        return p.toString();
    }
}
