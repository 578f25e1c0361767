package org.modhub.api.bridge;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.modhub.api.common.Eui64;
import org.modhub.api.gas.MirrorRead;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.osgi.annotation.versioning.ProviderType;

/**
 * What a consumer-HAN bridge may see of the hub: a read-only, filtered view of metering data.
 *
 * <p>The hub registers this service with bundle scope: each bridge bundle gets its own view, bound to
 * its {@code Bundle-SymbolicName}, and sees exactly what the occupier granted to that bridge in its
 * consent configuration — per {@link DataObject}, optionally per meter, with a read rate and a history
 * window. Only bundles with the manifest header {@value #BRIDGE_HEADER} are bridges; the hub hides
 * every service that could send to a meter, to the head end or write hub data from them, so a bridge
 * can read through this view and nothing else.
 *
 * <p>Every method is one read against the bridge's rate; a refused read throws
 * {@link BridgeAccessException} and is logged as an audit event. Values are immutable copies.
 */
@ProviderType
public interface MeteringBridge {
    /** Manifest header that marks a bundle as a consumer-HAN bridge (value: a short description). */
    String BRIDGE_HEADER = "Modhub-Bridge";

    /** The bridge this view belongs to (its bundle symbolic name). */
    String bridgeId();

    /** What the occupier granted to this bridge now (empty: nothing). Not counted as a read. */
    Set<DataObject> granted();

    /** The granted history window (how far back half-hourly history may be read). Not counted as a read. */
    Duration historyWindow();

    /** The meters this bridge may read (electricity and gas meters of the device log, filtered by consent). */
    List<BridgeMeter> meters() throws BridgeAccessException;

    /** {@link DataObject#CURRENT_REGISTERS}: the latest cumulative registers of a meter. */
    List<Reading> currentRegisters(Eui64 meter) throws BridgeAccessException;

    /** {@link DataObject#DEMAND}: the latest instantaneous power import and export of an electricity meter. */
    List<Reading> demand(Eui64 meter) throws BridgeAccessException;

    /** {@link DataObject#TARIFF}: the latest per-tariff import and export registers of an electricity meter. */
    List<Reading> tariffRegisters(Eui64 meter) throws BridgeAccessException;

    /**
     * {@link DataObject#HALF_HOURLY_HISTORY}: interval consumption ending in {@code [from, to)}, oldest
     * first. The range must lie within the granted history window.
     */
    List<ProfileSample> halfHourly(Eui64 meter, Instant from, Instant to) throws BridgeAccessException;

    /** {@link DataObject#GAS_MIRROR}: the mirror's latest values of a gas meter with their age. */
    Optional<MirrorRead> gasMirror(Eui64 meter) throws BridgeAccessException;
}
