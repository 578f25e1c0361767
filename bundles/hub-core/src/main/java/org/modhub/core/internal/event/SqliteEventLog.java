package org.modhub.core.internal.event;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.EventQuery;
import org.modhub.api.event.HubEvent;
import org.modhub.api.event.Severity;
import org.modhub.core.internal.config.ConfigGuard;
import org.modhub.core.internal.db.HubStore;
import org.modhub.core.internal.db.SqliteDatabase;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The event and audit log in {@code hub.db}: bounded per kind (oldest dropped first), queryable by
 * time range and code. Each event is also posted on EventAdmin under
 * {@code org/modhub/event/<KIND>/<CODE>} for live listeners.
 */
@Component(service = EventLog.class, immediate = true, configurationPid = SqliteEventLog.PID)
@Designate(ocd = SqliteEventLog.Config.class)
public class SqliteEventLog implements EventLog {
    public static final String PID = "org.modhub.core.eventlog";

    @ObjectClassDefinition(name = "modhub event log", description = "Bounded, persistent event and audit log.")
    public @interface Config {
        @AttributeDefinition(min = "100", max = "1000000", description = "Most operational events kept.")
        int maxEvents() default 10_000;

        @AttributeDefinition(min = "100", max = "1000000", description = "Most audit (security) events kept.")
        int maxAuditEvents() default 10_000;
    }

    private static final String SCHEMA = """
            CREATE TABLE IF NOT EXISTS events (
              seq INTEGER PRIMARY KEY AUTOINCREMENT,
              time INTEGER NOT NULL,
              kind TEXT NOT NULL,
              code TEXT NOT NULL,
              severity TEXT NOT NULL,
              device INTEGER,
              source TEXT NOT NULL,
              detail TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS events_time ON events(time);
            CREATE INDEX IF NOT EXISTS events_code_time ON events(code, time);
            CREATE INDEX IF NOT EXISTS events_kind_seq ON events(kind, seq)
            """;

    private final SqliteDatabase db;
    private final Logger log;
    private final Map<EventKind, Integer> limits = new HashMap<>();
    private final Map<EventKind, Long> counts = new HashMap<>();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile EventAdmin eventAdmin;

    @Activate
    public SqliteEventLog(@Reference HubStore store, @Reference ConfigGuard guard,
            @Reference(service = LoggerFactory.class) Logger log, Config config, Map<String, Object> properties) {
        guard.check(getClass(), PID, properties);
        this.db = store.hub();
        this.log = log;
        limits.put(EventKind.EVENT, config.maxEvents());
        limits.put(EventKind.AUDIT, config.maxAuditEvents());
        db.executeScript(SCHEMA);
        for (EventKind k : EventKind.values()) {
            counts.put(k, db.queryLong("SELECT count(*) FROM events WHERE kind = ?", k.name()));
        }
    }

    @Override
    public HubEvent log(HubEvent event) {
        long seq = db.inTransaction(c -> {
            long id;
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO events(time, kind, code, severity, device, source, detail) VALUES (?,?,?,?,?,?,?)",
                    Statement.RETURN_GENERATED_KEYS)) {
                ps.setLong(1, event.time().toEpochMilli());
                ps.setString(2, event.kind().name());
                ps.setString(3, event.code());
                ps.setString(4, event.severity().name());
                if (event.device().isPresent()) {
                    ps.setLong(5, event.device().get().value());
                } else {
                    ps.setNull(5, Types.INTEGER);
                }
                ps.setString(6, event.source());
                ps.setString(7, event.detail());
                ps.executeUpdate();
                try (ResultSet keys = ps.getGeneratedKeys()) {
                    keys.next();
                    id = keys.getLong(1);
                }
            }
            long n = counts.merge(event.kind(), 1L, Long::sum);
            int limit = limits.get(event.kind());
            if (n > limit) {
                try (PreparedStatement del = c.prepareStatement(
                        "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE kind = ? ORDER BY seq LIMIT ?)")) {
                    del.setString(1, event.kind().name());
                    del.setLong(2, n - limit);
                    int removed = del.executeUpdate();
                    counts.merge(event.kind(), (long) -removed, Long::sum);
                }
            }
            return id;
        });
        HubEvent logged = new HubEvent(seq, event.time(), event.kind(), event.code(), event.severity(), event.device(),
                event.source(), event.detail());
        if (event.severity().compareTo(Severity.WARNING) >= 0) {
            log.warn("event {} {} {}: {}", event.code(), event.device().map(Eui64::toString).orElse(""), event.source(),
                    event.detail());
        } else {
            log.info("event {} {} {}: {}", event.code(), event.device().map(Eui64::toString).orElse(""), event.source(),
                    event.detail());
        }
        post(logged);
        return logged;
    }

    private void post(HubEvent e) {
        EventAdmin admin = eventAdmin;
        if (admin == null) {
            return;
        }
        Map<String, Object> props = new HashMap<>();
        props.put("sequence", e.sequence());
        props.put("time", e.time().toEpochMilli());
        props.put("code", e.code());
        props.put("severity", e.severity().name());
        props.put("source", e.source());
        props.put("detail", e.detail());
        e.device().ifPresent(d -> props.put("device", d.toString()));
        admin.postEvent(new Event("org/modhub/event/" + e.kind().name() + "/" + e.code(), props));
    }

    @Override
    public List<HubEvent> query(EventQuery q) {
        StringBuilder sql = new StringBuilder(
                "SELECT seq, time, kind, code, severity, device, source, detail FROM events WHERE time >= ? AND time < ?");
        List<Object> args = new ArrayList<>();
        args.add(millis(q.from()));
        args.add(millis(q.to()));
        if (!q.codes().isEmpty()) {
            sql.append(" AND code IN (").append("?,".repeat(q.codes().size() - 1)).append("?)");
            args.addAll(q.codes());
        }
        q.kind().ifPresent(k -> {
            sql.append(" AND kind = ?");
            args.add(k.name());
        });
        sql.append(" ORDER BY seq DESC LIMIT ?");
        args.add(q.limit());
        return db.withConnection(c -> {
            List<HubEvent> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                for (int i = 0; i < args.size(); i++) {
                    ps.setObject(i + 1, args.get(i));
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        long device = rs.getLong(6);
                        Optional<Eui64> dev = rs.wasNull() ? Optional.empty() : Optional.of(Eui64.of(device));
                        out.add(new HubEvent(rs.getLong(1), Instant.ofEpochMilli(rs.getLong(2)),
                                EventKind.valueOf(rs.getString(3)), rs.getString(4), Severity.valueOf(rs.getString(5)), dev,
                                rs.getString(7), rs.getString(8)));
                    }
                }
            }
            return out;
        });
    }

    private static long millis(Instant i) {
        if (i.isBefore(Instant.ofEpochMilli(Long.MIN_VALUE / 2))) {
            return Long.MIN_VALUE;
        }
        if (i.isAfter(Instant.ofEpochMilli(Long.MAX_VALUE / 2))) {
            return Long.MAX_VALUE;
        }
        return i.toEpochMilli();
    }
}
