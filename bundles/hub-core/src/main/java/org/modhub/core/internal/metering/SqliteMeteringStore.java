package org.modhub.core.internal.metering;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.modhub.api.common.Eui64;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.metering.ObisCode;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.ReadingFlag;
import org.modhub.api.metering.ReadingQuery;
import org.modhub.api.metering.Unit;
import org.modhub.core.internal.config.ConfigGuard;
import org.modhub.core.internal.db.HubStore;
import org.modhub.core.internal.db.SqliteDatabase;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Metering data in {@code hub.db}. Readings and profile samples are keyed by device, OBIS code and
 * instant (a re-read replaces the value), and kept for the configured retention (13 months of
 * half-hourly data by default, seed 004 DS.02).
 */
@Component(service = MeteringStore.class, immediate = true, configurationPid = SqliteMeteringStore.PID)
@Designate(ocd = SqliteMeteringStore.Config.class)
public class SqliteMeteringStore implements MeteringStore {
    public static final String PID = "org.modhub.core.metering";

    @ObjectClassDefinition(name = "modhub metering store", description = "Retention of metering data.")
    public @interface Config {
        @AttributeDefinition(min = "31", max = "3660", description = "Days of readings and profile data kept.")
        int retentionDays() default 400;
    }

    private static final String SCHEMA = """
            CREATE TABLE IF NOT EXISTS readings (
              device INTEGER NOT NULL, obis INTEGER NOT NULL, instant INTEGER NOT NULL,
              raw INTEGER NOT NULL, scaler INTEGER NOT NULL, unit TEXT NOT NULL, flags INTEGER NOT NULL,
              PRIMARY KEY (device, obis, instant)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS profile (
              device INTEGER NOT NULL, obis INTEGER NOT NULL, interval_end INTEGER NOT NULL,
              interval_s INTEGER NOT NULL, raw INTEGER NOT NULL, scaler INTEGER NOT NULL, unit TEXT NOT NULL,
              flags INTEGER NOT NULL,
              PRIMARY KEY (device, obis, interval_end)) WITHOUT ROWID
            """;

    private final SqliteDatabase db;
    private final Duration retention;
    private volatile long lastPurge;

    @Activate
    public SqliteMeteringStore(@Reference HubStore store, @Reference ConfigGuard guard, Config config,
            Map<String, Object> properties) {
        guard.check(getClass(), PID, properties);
        this.db = store.hub();
        this.retention = Duration.ofDays(config.retentionDays());
        db.executeScript(SCHEMA);
    }

    static long pack(ObisCode o) {
        long v = 0;
        for (byte b : o.logicalName()) {
            v = (v << 8) | (b & 0xFF);
        }
        return v;
    }

    static ObisCode unpack(long v) {
        byte[] ln = new byte[6];
        for (int i = 5; i >= 0; i--) {
            ln[i] = (byte) v;
            v >>>= 8;
        }
        return ObisCode.ofLogicalName(ln);
    }

    @Override
    public void record(Collection<Reading> readings) {
        if (readings.isEmpty()) {
            return;
        }
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT OR REPLACE INTO readings(device, obis, instant, raw, scaler, unit, flags) VALUES (?,?,?,?,?,?,?)")) {
                for (Reading r : readings) {
                    ps.setLong(1, r.device().value());
                    ps.setLong(2, pack(r.measurand()));
                    ps.setLong(3, r.instant().toEpochMilli());
                    ps.setLong(4, r.raw());
                    ps.setInt(5, r.scaler());
                    ps.setString(6, r.unit().name());
                    ps.setInt(7, ReadingFlag.toMask(r.flags()));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
        purgeDaily();
    }

    @Override
    public void recordProfile(Collection<ProfileSample> samples) {
        if (samples.isEmpty()) {
            return;
        }
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT OR REPLACE INTO profile"
                    + "(device, obis, interval_end, interval_s, raw, scaler, unit, flags) VALUES (?,?,?,?,?,?,?,?)")) {
                for (ProfileSample s : samples) {
                    ps.setLong(1, s.device().value());
                    ps.setLong(2, pack(s.measurand()));
                    ps.setLong(3, s.intervalEnd().toEpochMilli());
                    ps.setLong(4, s.interval().toSeconds());
                    ps.setLong(5, s.raw());
                    ps.setInt(6, s.scaler());
                    ps.setString(7, s.unit().name());
                    ps.setInt(8, ReadingFlag.toMask(s.flags()));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
        purgeDaily();
    }

    private void purgeDaily() {
        long now = System.currentTimeMillis();
        if (now - lastPurge < Duration.ofDays(1).toMillis()) {
            return;
        }
        lastPurge = now;
        long cutoff = now - retention.toMillis();
        db.inTransaction(c -> {
            try (PreparedStatement a = c.prepareStatement("DELETE FROM readings WHERE instant < ?");
                    PreparedStatement b = c.prepareStatement("DELETE FROM profile WHERE interval_end < ?")) {
                a.setLong(1, cutoff);
                a.executeUpdate();
                b.setLong(1, cutoff);
                b.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public Optional<Reading> latest(Eui64 device, ObisCode measurand) {
        List<Reading> r = select("SELECT instant, raw, scaler, unit, flags FROM readings WHERE device = ? AND obis = ? "
                + "ORDER BY instant DESC LIMIT 1", device, measurand, Long.MIN_VALUE, Long.MAX_VALUE, 1, false);
        return r.stream().findFirst();
    }

    @Override
    public List<Reading> readings(ReadingQuery q) {
        return select("SELECT instant, raw, scaler, unit, flags FROM readings WHERE device = ? AND obis = ? "
                + "AND instant >= ? AND instant < ? ORDER BY instant LIMIT ?", q.device(), q.measurand(),
                q.from().toEpochMilli(), q.to().toEpochMilli(), q.limit(), true);
    }

    private List<Reading> select(String sql, Eui64 device, ObisCode obis, long from, long to, int limit, boolean range) {
        return db.withConnection(c -> {
            List<Reading> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setLong(1, device.value());
                ps.setLong(2, pack(obis));
                if (range) {
                    ps.setLong(3, from);
                    ps.setLong(4, to);
                    ps.setInt(5, limit);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Reading(device, obis, Instant.ofEpochMilli(rs.getLong(1)), rs.getLong(2), rs.getInt(3),
                                Unit.valueOf(rs.getString(4)), ReadingFlag.fromMask(rs.getInt(5))));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public List<ProfileSample> profile(ReadingQuery q) {
        return db.withConnection(c -> {
            List<ProfileSample> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT interval_end, interval_s, raw, scaler, unit, flags "
                    + "FROM profile WHERE device = ? AND obis = ? AND interval_end >= ? AND interval_end < ? "
                    + "ORDER BY interval_end LIMIT ?")) {
                ps.setLong(1, q.device().value());
                ps.setLong(2, pack(q.measurand()));
                ps.setLong(3, q.from().toEpochMilli());
                ps.setLong(4, q.to().toEpochMilli());
                ps.setInt(5, q.limit());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new ProfileSample(q.device(), q.measurand(), Instant.ofEpochMilli(rs.getLong(1)),
                                Duration.ofSeconds(rs.getLong(2)), rs.getLong(3), rs.getInt(4), Unit.valueOf(rs.getString(5)),
                                ReadingFlag.fromMask(rs.getInt(6))));
                    }
                }
            }
            return out;
        });
    }
}
