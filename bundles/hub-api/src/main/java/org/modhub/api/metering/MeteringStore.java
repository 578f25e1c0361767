package org.modhub.api.metering;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.modhub.api.common.Eui64;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The durable store of metering data, owned by hub-core: HAN and meter-link bundles write into it,
 * so a bundle update or removal never takes readings with it. A write is durable when it returns.
 * A reading or sample for the same device, measurand and instant replaces the earlier one.
 */
@ProviderType
public interface MeteringStore {
    void record(Collection<Reading> readings);

    void recordProfile(Collection<ProfileSample> samples);

    Optional<Reading> latest(Eui64 device, ObisCode measurand);

    List<Reading> readings(ReadingQuery query);

    List<ProfileSample> profile(ReadingQuery query);
}
