package org.modhub.api.gas;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.modhub.api.common.Eui64;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Registered by the HAN bundle that serves gas meters: asks a meter, at its next wake-up, for the
 * half-hour snapshots it captured in a time range, so the mirror can fill gaps left by an outage.
 * The mirror never wakes a meter for a read; recovery requests wait for the meter's own poll.
 */
@ConsumerType
public interface GasMeterRecovery {
    /**
     * @param meter the gas meter
     * @param from start of the gap, inclusive
     * @param to end of the gap, exclusive
     * @return the meter's pushes (one per half-hour boundary it has) in the range
     */
    CompletionStage<List<GasPush>> missed(Eui64 meter, Instant from, Instant to);
}
