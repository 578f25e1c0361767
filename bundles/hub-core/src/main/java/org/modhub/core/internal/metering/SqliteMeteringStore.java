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
            CREATE TABLE IF NOT EXISTS profile_day (
              device INTEGER NOT NULL, obis INTEGER NOT NULL, day INTEGER NOT NULL, interval_s INTEGER NOT NULL,
              scaler INTEGER NOT NULL, unit INTEGER NOT NULL, block BLOB NOT NULL, -- unit: DLMS unit code
              PRIMARY KEY (device, obis, day, interval_s, scaler, unit)) WITHOUT ROWID
            """;
    static final long DAY_MS = Duration.ofDays(1).toMillis();

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

    /**
     * Profile samples are kept as one compact block per device, measurand, interval, scaler, unit and
     * UTC day (see {@link ProfileDay}); a sample for a slot that has one replaces it.
     */
    @Override
    public void recordProfile(Collection<ProfileSample> samples) {
        if (samples.isEmpty()) {
            return;
        }
        db.inTransaction(c -> {
            try (PreparedStatement read = c.prepareStatement("SELECT block FROM profile_day WHERE device = ? AND obis = ? "
                    + "AND day = ? AND interval_s = ? AND scaler = ? AND unit = ?");
                    PreparedStatement write = c.prepareStatement("INSERT OR REPLACE INTO profile_day"
                            + "(device, obis, day, interval_s, scaler, unit, block) VALUES (?,?,?,?,?,?,?)")) {
                java.util.Map<String, ProfileDay> touched = new java.util.LinkedHashMap<>();
                java.util.Map<String, long[]> keys = new java.util.HashMap<>();
                for (ProfileSample smp : samples) {
                    long end = smp.intervalEnd().toEpochMilli();
                    long intervalMs = smp.interval().toMillis();
                    // a sample belongs to the day its interval starts in
                    long start = end - intervalMs;
                    long day = Math.floorDiv(start, DAY_MS) * DAY_MS;
                    int slot = (int) ((end - day) / intervalMs);
                    long[] key = {smp.device().value(), pack(smp.measurand()), day, smp.interval().toSeconds(),
                            smp.scaler(), smp.unit().dlmsCode()};
                    String k = java.util.Arrays.toString(key);
                    ProfileDay block = touched.get(k);
                    if (block == null) {
                        block = load(read, key);
                        touched.put(k, block);
                        keys.put(k, key);
                    }
                    if ((end - day) % intervalMs != 0) {
                        throw new IllegalArgumentException("profile sample ending at " + smp.intervalEnd()
                                + " is not aligned to its " + smp.interval() + " interval");
                    }
                    block.slots.put(slot, new long[] {smp.raw(), ReadingFlag.toMask(smp.flags())});
                }
                for (java.util.Map.Entry<String, ProfileDay> e : touched.entrySet()) {
                    long[] key = keys.get(e.getKey());
                    for (int i = 0; i < 6; i++) {
                        write.setLong(i + 1, key[i]);
                    }
                    write.setBytes(7, e.getValue().encode());
                    write.executeUpdate();
                }
            }
            return null;
        });
        purgeDaily();
    }

    private static ProfileDay load(PreparedStatement read, long[] key) throws java.sql.SQLException {
        for (int i = 0; i < 6; i++) {
            read.setLong(i + 1, key[i]);
        }
        try (ResultSet rs = read.executeQuery()) {
            return rs.next() ? ProfileDay.decode(rs.getBytes(1)) : new ProfileDay();
        }
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
                    PreparedStatement b = c.prepareStatement("DELETE FROM profile_day WHERE day < ?")) {
                a.setLong(1, cutoff);
                a.executeUpdate();
                b.setLong(1, Math.floorDiv(cutoff, DAY_MS) * DAY_MS - DAY_MS);
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
        long from = q.from().toEpochMilli();
        long to = q.to().toEpochMilli();
        return db.withConnection(c -> {
            List<ProfileSample> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT day, interval_s, scaler, unit, block FROM profile_day "
                    + "WHERE device = ? AND obis = ? AND day >= ? AND day < ? ORDER BY day")) {
                ps.setLong(1, q.device().value());
                ps.setLong(2, pack(q.measurand()));
                // a day block holds intervals ending up to the next midnight (plus one interval)
                ps.setLong(3, Math.floorDiv(from, DAY_MS) * DAY_MS - DAY_MS);
                ps.setLong(4, to);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        long day = rs.getLong(1);
                        Duration interval = Duration.ofSeconds(rs.getLong(2));
                        int scaler = rs.getInt(3);
                        Unit unit = Unit.fromDlms(rs.getInt(4)).orElseThrow(
                                () -> new IllegalStateException("profile block with unknown unit code"));
                        for (java.util.Map.Entry<Integer, long[]> e : ProfileDay.decode(rs.getBytes(5)).slots.entrySet()) {
                            long end = day + e.getKey() * interval.toMillis();
                            if (end >= from && end < to) {
                                out.add(new ProfileSample(q.device(), q.measurand(), Instant.ofEpochMilli(end), interval,
                                        e.getValue()[0], scaler, unit, ReadingFlag.fromMask((int) e.getValue()[1])));
                            }
                        }
                    }
                }
            }
            out.sort(java.util.Comparator.comparing(ProfileSample::intervalEnd));
            return out.size() > q.limit() ? List.copyOf(out.subList(0, q.limit())) : out;
        });
    }
}
