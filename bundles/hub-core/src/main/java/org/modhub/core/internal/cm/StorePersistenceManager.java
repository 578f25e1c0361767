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
import java.util.Map;
import java.util.Vector;
import java.util.concurrent.ConcurrentSkipListMap;
import java.lang.reflect.Array;
import java.util.Collection;
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
    /**
     * Every stored configuration, read once at activation and written through: ConfigAdmin asks for
     * all of them each time it looks for a factory or a filter match (some 70 times while the hub
     * starts), and this store is the only writer of the table. Bodies are decoded once; each caller
     * gets its own copy.
     */
    private final Map<String, Entry> entries = new ConcurrentSkipListMap<>();

    private static final class Entry {
        final byte[] body;
        volatile Dictionary<String, Object> decoded;

        Entry(byte[] body) {
            this.body = body;
        }
    }

    @Activate
    public StorePersistenceManager(@Reference HubStore store) {
        this.db = store.hub();
        db.executeScript("CREATE TABLE IF NOT EXISTS configuration (pid TEXT PRIMARY KEY, body BLOB NOT NULL, "
                + "updated INTEGER NOT NULL)");
        db.withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT pid, body FROM configuration");
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    entries.put(rs.getString(1), new Entry(rs.getBytes(2)));
                }
            }
            return null;
        });
    }

    @Override
    public boolean exists(String pid) {
        return entries.containsKey(pid);
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Dictionary load(String pid) throws IOException {
        Entry e = entries.get(pid);
        return e == null ? new Hashtable<>() : copy(decoded(pid, e));
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Enumeration getDictionaries() throws IOException {
        List<Dictionary> out = new ArrayList<>();
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            out.add(copy(decoded(e.getKey(), e.getValue())));
        }
        return Collections.enumeration(out);
    }

    @Override
    @SuppressWarnings("rawtypes")
    public synchronized void store(String pid, Dictionary properties) throws IOException {
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
        entries.put(pid, new Entry(body));
    }

    @Override
    public synchronized void delete(String pid) throws IOException {
        io(() -> db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM configuration WHERE pid = ?")) {
                ps.setString(1, pid);
                ps.executeUpdate();
            }
            return null;
        }));
        entries.remove(pid);
    }

    @SuppressWarnings("unchecked")
    private static Dictionary<String, Object> decoded(String pid, Entry e) throws IOException {
        Dictionary<String, Object> d = e.decoded;
        if (d == null) {
            d = decode(pid, e.body);
            e.decoded = d;
        }
        return d;
    }

    /** A copy the caller may change: a new table, arrays and collections copied (their elements are immutable). */
    private static Hashtable<String, Object> copy(Dictionary<String, Object> d) {
        Hashtable<String, Object> out = new Hashtable<>();
        for (Enumeration<String> keys = d.keys(); keys.hasMoreElements();) {
            String k = keys.nextElement();
            Object v = d.get(k);
            if (v != null && v.getClass().isArray()) {
                int n = Array.getLength(v);
                Object a = Array.newInstance(v.getClass().getComponentType(), n);
                System.arraycopy(v, 0, a, 0, n);
                v = a;
            } else if (v instanceof Collection<?> c) {
                v = new Vector<>(c);
            }
            out.put(k, v);
        }
        return out;
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
