package org.modhub.core.internal.state;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.modhub.api.store.StateStore;
import org.modhub.core.internal.db.HubStore;
import org.modhub.core.internal.db.SqliteDatabase;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Namespaced durable key/value state in {@code hub.db}. */
@Component(service = StateStore.class, immediate = true)
public class SqliteStateStore implements StateStore {
    private static final int MAX_VALUE = 1 << 20;
    private final SqliteDatabase db;

    @Activate
    public SqliteStateStore(@Reference HubStore store) {
        this.db = store.hub();
        db.executeScript("CREATE TABLE IF NOT EXISTS state (ns TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, "
                + "PRIMARY KEY (ns, key)) WITHOUT ROWID");
    }

    private static void check(String namespace, String key, byte[] value) {
        if (namespace == null || namespace.isEmpty() || key == null || key.isEmpty()) {
            throw new IllegalArgumentException("namespace and key must not be empty");
        }
        if (value != null && value.length > MAX_VALUE) {
            throw new IllegalArgumentException("state values are limited to " + MAX_VALUE + " bytes");
        }
    }

    @Override
    public Optional<byte[]> get(String namespace, String key) {
        check(namespace, key, null);
        return db.withConnection(c -> read(namespace, key));
    }

    private Optional<byte[]> read(String ns, String key) throws java.sql.SQLException {
        PreparedStatement ps = db.prepared("SELECT value FROM state WHERE ns = ? AND key = ?");
        ps.setString(1, ns);
        ps.setString(2, key);
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(rs.getBytes(1)) : Optional.empty();
        }
    }

    @Override
    public void put(String namespace, String key, byte[] value) {
        check(namespace, key, value);
        db.inTransaction(c -> write(namespace, key, value));
    }

    private Void write(String ns, String key, byte[] value) throws java.sql.SQLException {
        PreparedStatement ps = db.prepared("INSERT OR REPLACE INTO state(ns, key, value) VALUES (?,?,?)");
        ps.setString(1, ns);
        ps.setString(2, key);
        ps.setBytes(3, value);
        ps.executeUpdate();
        return null;
    }

    @Override
    public boolean compareAndSet(String namespace, String key, byte[] expected, byte[] value) {
        check(namespace, key, value);
        return db.inTransaction(c -> {
            Optional<byte[]> current = read(namespace, key);
            boolean matches = expected == null ? current.isEmpty()
                    : current.isPresent() && Arrays.equals(current.get(), expected);
            if (!matches) {
                return false;
            }
            write(namespace, key, value);
            return true;
        });
    }

    @Override
    public boolean remove(String namespace, String key) {
        check(namespace, key, null);
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM state WHERE ns = ? AND key = ?")) {
                ps.setString(1, namespace);
                ps.setString(2, key);
                return ps.executeUpdate() == 1;
            }
        });
    }

    @Override
    public Map<String, byte[]> entries(String namespace) {
        return db.withConnection(c -> {
            Map<String, byte[]> out = new LinkedHashMap<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT key, value FROM state WHERE ns = ? ORDER BY key")) {
                ps.setString(1, namespace);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.put(rs.getString(1), rs.getBytes(2));
                    }
                }
            }
            return out;
        });
    }
}
