package org.modhub.bridge.gateway.internal;

import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import org.modhub.api.bridge.DataObject;
import org.modhub.api.common.Eui64;

/**
 * A validated consent: bridge id, granted data objects, meters (empty: all), read rate, history window.
 */
record Consent(String bridge, Set<DataObject> granted, Set<Eui64> meters, int readsPerMinute, Duration historyWindow) {

    static final String PID = "org.modhub.bridge.consent";
    static final int MAX_READS_PER_MINUTE = 6000;
    /** 397 days × 24 h: the metering store's retention. */
    static final int MAX_HISTORY_HOURS = 397 * 24;

    Consent {
        Objects.requireNonNull(bridge, "bridge");
        granted = granted.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(granted));
        meters = Set.copyOf(meters);
    }

    boolean grants(DataObject d) {
        return granted.contains(d);
    }

    boolean grantsMeter(Eui64 meter) {
        return meters.isEmpty() || meters.contains(meter);
    }

    /** Thrown for a consent configuration that is refused; the message is the one log line. */
    static final class InvalidConsentException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final String field;

        InvalidConsentException(String field, String problem) {
            super("configuration " + PID + ": field '" + field + "': " + problem);
            this.field = field;
        }

        String field() {
            return field;
        }
    }

    static Consent validate(ConsentConfig c) {
        return validate(c.bridge(), c.dataObjects(), c.meters(), c.readsPerMinute(), c.historyHours());
    }

    static Consent validate(String bridge, String[] dataObjects, String[] meters, int readsPerMinute, int historyHours) {
        String b = bridge == null ? "" : bridge.trim();
        if (b.isEmpty() || !b.matches("[A-Za-z0-9_.\\-]{1,200}")) {
            throw new InvalidConsentException("bridge", "'" + bridge + "' is not a bundle symbolic name");
        }
        EnumSet<DataObject> granted = EnumSet.noneOf(DataObject.class);
        for (String d : dataObjects == null ? new String[0] : dataObjects) {
            if (d == null || d.isBlank()) {
                continue;
            }
            try {
                granted.add(DataObject.parse(d));
            } catch (IllegalArgumentException e) {
                throw new InvalidConsentException("dataObjects", "'" + d + "' is not one of "
                        + Arrays.stream(DataObject.values()).map(DataObject::configName).toList());
            }
        }
        Set<Eui64> ids = new LinkedHashSet<>();
        for (String m : meters == null ? new String[0] : meters) {
            if (m == null || m.isBlank()) {
                continue;
            }
            try {
                ids.add(Eui64.parse(m.trim()));
            } catch (IllegalArgumentException e) {
                throw new InvalidConsentException("meters", "'" + m + "' is not an EUI-64");
            }
        }
        if (readsPerMinute < 1 || readsPerMinute > MAX_READS_PER_MINUTE) {
            throw new InvalidConsentException("readsPerMinute", readsPerMinute + " is out of 1.." + MAX_READS_PER_MINUTE);
        }
        if (historyHours < 1 || historyHours > MAX_HISTORY_HOURS) {
            throw new InvalidConsentException("historyHours", historyHours + " is out of 1.." + MAX_HISTORY_HOURS);
        }
        return new Consent(b, granted, ids, readsPerMinute, Duration.ofHours(historyHours));
    }
}
