package org.modhub.core.internal.cm;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.Hashtable;
import java.util.List;
import org.apache.felix.cm.NotCachablePersistenceManager;
import org.apache.felix.cm.PersistenceManager;
import org.apache.felix.cm.file.ConfigurationHandler;
import org.modhub.core.internal.db.HubStore;
import org.modhub.core.internal.db.SqliteDatabase;
import org.modhub.core.internal.db.StoreException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Keeps every bundle's configuration in the hub-core store ({@code hub.db}), so configuration is
 * owned by the core like metering data: it survives updates, replacement and removal of the bundle
 * it configures, and is written with the same durability. Felix ConfigAdmin uses it when the
 * framework property {@code felix.cm.pm=modhub} is set (the distro sets it); ConfigAdmin then waits
 * for the store before it starts. Entries are stored in ConfigAdmin's own typed text format.
 */
@Component(service = PersistenceManager.class, immediate = true, property = PersistenceManager.PROPERTY_NAME + "="
        + StorePersistenceManager.NAME)
public class StorePersistenceManager implements NotCachablePersistenceManager {
    public static final String NAME = "modhub";

    private final SqliteDatabase db;

    @Activate
    public StorePersistenceManager(@Reference HubStore store) {
        this.db = store.hub();
        db.executeScript("CREATE TABLE IF NOT EXISTS configuration (pid TEXT PRIMARY KEY, body BLOB NOT NULL, "
                + "updated INTEGER NOT NULL)");
    }

    @Override
    public boolean exists(String pid) {
        return db.queryLong("SELECT count(*) FROM configuration WHERE pid = ?", pid) > 0;
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Dictionary load(String pid) throws IOException {
        byte[] body = io(() -> db.withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT body FROM configuration WHERE pid = ?")) {
                ps.setString(1, pid);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getBytes(1) : null;
                }
            }
        }));
        return body == null ? new Hashtable<>() : decode(pid, body);
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Enumeration getDictionaries() throws IOException {
        List<byte[]> bodies = new ArrayList<>();
        List<String> pids = new ArrayList<>();
        io(() -> db.withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT pid, body FROM configuration ORDER BY pid");
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    pids.add(rs.getString(1));
                    bodies.add(rs.getBytes(2));
                }
            }
            return null;
        }));
        List<Dictionary> out = new ArrayList<>();
        for (int i = 0; i < bodies.size(); i++) {
            out.add(decode(pids.get(i), bodies.get(i)));
        }
        return Collections.enumeration(out);
    }

    @Override
    @SuppressWarnings("rawtypes")
    public void store(String pid, Dictionary properties) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ConfigurationHandler.write(out, properties);
        byte[] body = out.toByteArray();
        io(() -> db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT OR REPLACE INTO configuration(pid, body, updated) VALUES (?,?,?)")) {
                ps.setString(1, pid);
                ps.setBytes(2, body);
                ps.setLong(3, System.currentTimeMillis());
                ps.executeUpdate();
            }
            return null;
        }));
    }

    @Override
    public void delete(String pid) throws IOException {
        io(() -> db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM configuration WHERE pid = ?")) {
                ps.setString(1, pid);
                ps.executeUpdate();
            }
            return null;
        }));
    }

    @SuppressWarnings("rawtypes")
    private static Dictionary decode(String pid, byte[] body) throws IOException {
        try {
            return ConfigurationHandler.read(new ByteArrayInputStream(body));
        } catch (IOException e) {
            throw new IOException("stored configuration " + pid + " is unreadable: " + e.getMessage(), e);
        }
    }

    private interface Io<T> {
        T run();
    }

    private static <T> T io(Io<T> work) throws IOException {
        try {
            return work.run();
        } catch (StoreException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
