package org.modhub.lastgasp.internal;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.Properties;

/**
 * The outage the hub is in or has just come out of, as persisted in the StateStore (one record at a
 * time; several short flaps within the flap window are one record).
 *
 * @param start when power was first lost (first flap)
 * @param phase where the record is
 * @param offSince start of the current off period (phase OFF), else of the last one
 * @param lastRestore when power last came back (null while the first off period lasts)
 * @param flaps number of off periods coalesced into this record
 * @param offMillis total time off in closed off periods (the current one not included)
 * @param outageAlertSent whether the power-outage alert has been queued
 * @param longOutage whether an off period lasted at least the long-outage threshold
 * @param alertDue when the restore alert is due (phase ALERT_PENDING), else null
 */
public record OutageRecord(Instant start, Phase phase, Instant offSince, Instant lastRestore, int flaps,
        long offMillis, boolean outageAlertSent, boolean longOutage, Instant alertDue) {

    /** Where an outage record is. */
    public enum Phase {
        /** Power is off now. */
        OFF,
        /** Power is back; the flap window is open (another loss continues this record). */
        RESTORED,
        /** Closed; the restore alert waits for its randomised due time. */
        ALERT_PENDING
    }

    public OutageRecord {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(phase, "phase");
        Objects.requireNonNull(offSince, "offSince");
        if (flaps < 1) {
            throw new IllegalArgumentException("flaps must be at least 1: " + flaps);
        }
        if (offMillis < 0) {
            throw new IllegalArgumentException("offMillis is negative: " + offMillis);
        }
        if (phase != Phase.OFF && lastRestore == null) {
            throw new IllegalArgumentException(phase + " needs a restore instant");
        }
        if (phase == Phase.ALERT_PENDING && alertDue == null) {
            throw new IllegalArgumentException("ALERT_PENDING needs a due instant");
        }
    }

    static OutageRecord lost(Instant at) {
        return new OutageRecord(at, Phase.OFF, at, null, 1, 0, false, false, null);
    }

    /** Total time off: closed periods plus the current one up to {@code now} while OFF. */
    long totalOffMillis(Instant now) {
        return phase == Phase.OFF ? offMillis + Math.max(0, now.toEpochMilli() - offSince.toEpochMilli()) : offMillis;
    }

    public byte[] encode() {
        StringBuilder b = new StringBuilder(256);
        b.append("version=1\n");
        b.append("start=").append(start).append('\n');
        b.append("phase=").append(phase.name()).append('\n');
        b.append("offSince=").append(offSince).append('\n');
        if (lastRestore != null) {
            b.append("lastRestore=").append(lastRestore).append('\n');
        }
        b.append("flaps=").append(flaps).append('\n');
        b.append("offMillis=").append(offMillis).append('\n');
        b.append("outageAlertSent=").append(outageAlertSent).append('\n');
        b.append("longOutage=").append(longOutage).append('\n');
        if (alertDue != null) {
            b.append("alertDue=").append(alertDue).append('\n');
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * @throws MalformedRecordException if the bytes are not a record this version wrote
     */
    static OutageRecord decode(byte[] bytes) throws MalformedRecordException {
        Properties p = new Properties();
        try {
            p.load(new StringReader(new String(bytes, StandardCharsets.UTF_8)));
        } catch (IOException | IllegalArgumentException e) {
            throw new MalformedRecordException("unreadable outage record: " + e.getMessage());
        }
        if (!"1".equals(p.getProperty("version"))) {
            throw new MalformedRecordException("unknown outage record version '" + p.getProperty("version") + "'");
        }
        try {
            return new OutageRecord(instant(p, "start", true), Phase.valueOf(required(p, "phase")),
                    instant(p, "offSince", true), instant(p, "lastRestore", false),
                    Integer.parseInt(required(p, "flaps")), Long.parseLong(required(p, "offMillis")),
                    bool(p, "outageAlertSent"), bool(p, "longOutage"), instant(p, "alertDue", false));
        } catch (IllegalArgumentException | NullPointerException | DateTimeParseException e) {
            throw new MalformedRecordException("malformed outage record: " + e.getMessage());
        }
    }

    private static String required(Properties p, String key) throws MalformedRecordException {
        String v = p.getProperty(key);
        if (v == null) {
            throw new MalformedRecordException("outage record lacks '" + key + "'");
        }
        return v.trim();
    }

    private static Instant instant(Properties p, String key, boolean required) throws MalformedRecordException {
        String v = required ? required(p, key) : p.getProperty(key);
        return v == null ? null : Instant.parse(v.trim());
    }

    private static boolean bool(Properties p, String key) throws MalformedRecordException {
        String v = required(p, key);
        if (!v.equals("true") && !v.equals("false")) {
            throw new MalformedRecordException("outage record '" + key + "' is not a boolean: " + v);
        }
        return Boolean.parseBoolean(v);
    }

    /** A persisted record that cannot be read. */
    public static final class MalformedRecordException extends Exception {
        private static final long serialVersionUID = 1L;

        public MalformedRecordException(String message) {
            super(message);
        }
    }
}
