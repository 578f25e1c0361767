package org.modhub.core.internal.han;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.HubEvent;
import org.modhub.api.event.Severity;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceLogFullException;
import org.modhub.api.han.DeviceType;
import org.modhub.api.han.InstallCode;
import org.modhub.core.internal.config.ConfigGuard;
import org.modhub.core.internal.db.HubStore;
import org.modhub.core.internal.db.SqliteDatabase;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The device log (HAN whitelist) in {@code hub.db}; every change is an audit event. */
@Component(service = DeviceLog.class, immediate = true, configurationPid = SqliteDeviceLog.PID)
@Designate(ocd = SqliteDeviceLog.Config.class)
public class SqliteDeviceLog implements DeviceLog {
    public static final String PID = "org.modhub.core.devicelog";

    @ObjectClassDefinition(name = "modhub device log", description = "The whitelist of HAN devices.")
    public @interface Config {
        @AttributeDefinition(min = "1", max = "256", description = "Most devices in the log (vendor hubs: 16-32).")
        int capacity() default 32;
    }

    private static final String SCHEMA = """
            CREATE TABLE IF NOT EXISTS device_log (
              device INTEGER PRIMARY KEY, type TEXT NOT NULL, install_code BLOB, key_ref TEXT,
              added INTEGER NOT NULL, ord INTEGER NOT NULL)
            """;

    private final SqliteDatabase db;
    private final int capacity;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile EventLog eventLog;

    @Activate
    public SqliteDeviceLog(@Reference HubStore store, @Reference ConfigGuard guard, Config config,
            Map<String, Object> properties) {
        guard.check(getClass(), PID, properties);
        this.db = store.hub();
        this.capacity = config.capacity();
        db.executeScript(SCHEMA);
    }

    @Override
    public void add(DeviceLogEntry e) throws DeviceLogFullException {
        boolean added = db.inTransaction(c -> {
            boolean exists;
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM device_log WHERE device = ?")) {
                ps.setLong(1, e.device().value());
                try (ResultSet rs = ps.executeQuery()) {
                    exists = rs.next();
                }
            }
            if (!exists) {
                try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM device_log");
                        ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) >= capacity) {
                        return false;
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT OR REPLACE INTO device_log"
                    + "(device, type, install_code, key_ref, added, ord) VALUES (?,?,?,?,?,"
                    + "coalesce((SELECT ord FROM device_log WHERE device = ?), (SELECT coalesce(max(ord),0)+1 FROM device_log)))")) {
                ps.setLong(1, e.device().value());
                ps.setString(2, e.type().name());
                if (e.installCode().isPresent()) {
                    ps.setBytes(3, e.installCode().get().octets());
                } else {
                    ps.setNull(3, Types.BLOB);
                }
                ps.setString(4, e.keyReference().orElse(null));
                ps.setLong(5, e.added().toEpochMilli());
                ps.setLong(6, e.device().value());
                ps.executeUpdate();
            }
            return true;
        });
        if (!added) {
            audit("DEVICE_LOG_FULL", Severity.WARNING, e.device(), "device log full (" + capacity + "): " + e.type());
            throw new DeviceLogFullException(capacity);
        }
        audit("DEVICE_LOG_ADDED", Severity.INFO, e.device(), e.type().gbcsName());
    }

    @Override
    public boolean remove(Eui64 device) {
        boolean removed = db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM device_log WHERE device = ?")) {
                ps.setLong(1, device.value());
                return ps.executeUpdate() == 1;
            }
        });
        if (removed) {
            audit("DEVICE_LOG_REMOVED", Severity.INFO, device, "");
        }
        return removed;
    }

    @Override
    public Optional<DeviceLogEntry> find(Eui64 device) {
        List<DeviceLogEntry> found = select("WHERE device = ?", device.value());
        return found.stream().findFirst();
    }

    @Override
    public List<DeviceLogEntry> entries() {
        return select("", null);
    }

    @Override
    public int capacity() {
        return capacity;
    }

    private List<DeviceLogEntry> select(String where, Long arg) {
        return db.withConnection(c -> {
            List<DeviceLogEntry> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT device, type, install_code, key_ref, added FROM device_log " + where + " ORDER BY ord")) {
                if (arg != null) {
                    ps.setLong(1, arg);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        byte[] code = rs.getBytes(3);
                        out.add(new DeviceLogEntry(Eui64.of(rs.getLong(1)), DeviceType.valueOf(rs.getString(2)),
                                code == null ? Optional.empty() : Optional.of(InstallCode.of(code)),
                                Optional.ofNullable(rs.getString(4)), Instant.ofEpochMilli(rs.getLong(5))));
                    }
                }
            }
            return out;
        });
    }

    private void audit(String code, Severity severity, Eui64 device, String detail) {
        EventLog events = eventLog;
        if (events != null) {
            events.log(HubEvent.of(EventKind.AUDIT, code, severity, device, "hub-core/device-log", detail));
        }
    }
}
