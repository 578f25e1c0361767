package org.modhub.lastgasp.internal;

import java.time.Duration;
import java.util.Objects;
import org.modhub.api.common.Eui64;

/**
 * Validated last-gasp settings.
 *
 * @param reportOutages false for hubs that record outages locally but send no power alerts
 * @param qualification how long power must stay off before the power-outage alert goes out
 * @param longOutage an off period at least this long makes the restore alert the "long outage" one
 * @param flapWindow a loss within this time after a short outage ended continues the same record
 * @param restoreDelayMin shortest randomised delay of a restore alert
 * @param restoreDelayMax longest randomised delay of a restore alert
 * @param outageCode message code of the power-outage alert
 * @param restoredCode message code of the restore alert after a short outage
 * @param restoredLongCode message code of the restore alert after an outage of at least {@code longOutage}
 * @param hubId originator of the alerts
 * @param recipient recipient of the alerts (the network operator's head end)
 */
public record Settings(boolean reportOutages, Duration qualification, Duration longOutage, Duration flapWindow,
        Duration restoreDelayMin, Duration restoreDelayMax, int outageCode, int restoredCode, int restoredLongCode,
        Eui64 hubId, Eui64 recipient) {

    public Settings {
        nonNegative(qualification, "qualificationMs");
        nonNegative(longOutage, "longOutageMs");
        nonNegative(flapWindow, "flapWindowMs");
        nonNegative(restoreDelayMin, "restoreDelayMinMs");
        nonNegative(restoreDelayMax, "restoreDelayMaxMs");
        if (restoreDelayMax.compareTo(restoreDelayMin) < 0) {
            throw new InvalidSetting("restoreDelayMaxMs", restoreDelayMax.toMillis() + " is below restoreDelayMinMs "
                    + restoreDelayMin.toMillis());
        }
        code(outageCode, "outageAlertCode");
        code(restoredCode, "restoredAlertCode");
        code(restoredLongCode, "restoredLongAlertCode");
        if (restoredCode == restoredLongCode) {
            throw new InvalidSetting("restoredLongAlertCode", "must differ from restoredAlertCode");
        }
        Objects.requireNonNull(hubId, "hubId");
        Objects.requireNonNull(recipient, "recipient");
    }

    private static void nonNegative(Duration d, String field) {
        if (d == null || d.isNegative()) {
            throw new InvalidSetting(field, "must be zero or more: " + d);
        }
    }

    private static void code(int code, String field) {
        if (code < 0 || code > 0xFFFF) {
            throw new InvalidSetting(field, "out of 0..0xFFFF: " + code);
        }
    }

    /** A setting out of range, naming its configuration field. */
    public static final class InvalidSetting extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final String field;

        public InvalidSetting(String field, String message) {
            super(field + ": " + message);
            this.field = field;
        }

        public String field() {
            return field;
        }
    }
}
