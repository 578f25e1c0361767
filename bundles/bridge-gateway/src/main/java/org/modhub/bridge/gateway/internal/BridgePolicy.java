package org.modhub.bridge.gateway.internal;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.modhub.api.bridge.BridgeAccessException;
import org.modhub.api.bridge.BridgeAccessException.Reason;
import org.modhub.api.bridge.DataObject;
import org.modhub.api.common.Eui64;

/**
 * The consents in force and each bridge's read allowance. Every check that refuses logs an audit
 * event (throttled by {@link BridgeAudit}) and throws {@link BridgeAccessException} with a message
 * that tells the integrator what to change.
 */
final class BridgePolicy {
    private final Map<Object, Consent> consentsBySource = new ConcurrentHashMap<>();
    private final Map<String, RateLimiter> limiters = new ConcurrentHashMap<>();
    private final BridgeAudit audit;
    private final LongSupplier nanoClock;

    BridgePolicy(BridgeAudit audit, LongSupplier nanoClock) {
        this.audit = audit;
        this.nanoClock = nanoClock;
    }

    BridgeAudit audit() {
        return audit;
    }

    /** Adds or replaces the consent from {@code source} (one configuration). */
    void putConsent(Object source, Consent consent) {
        consentsBySource.put(source, consent);
        limiters.remove(consent.bridge()); // a changed rate applies at once, with a full bucket
    }

    void removeConsent(Object source) {
        Consent c = consentsBySource.remove(source);
        if (c != null) {
            limiters.remove(c.bridge());
        }
    }

    /**
     * The consent for a bridge. Two configurations for the same bridge: the more restrictive reading
     * is not guessed, the bridge gets nothing until one is removed.
     */
    Optional<Consent> consent(String bridge) {
        Consent found = null;
        for (Consent c : consentsBySource.values()) {
            if (c.bridge().equals(bridge)) {
                if (found != null) {
                    return Optional.empty();
                }
                found = c;
            }
        }
        return Optional.ofNullable(found);
    }

    boolean duplicate(String bridge) {
        return consentsBySource.values().stream().filter(c -> c.bridge().equals(bridge)).count() > 1;
    }

    /**
     * One read by {@code bridge}: counts against its rate, then checks that it is a bridge with a
     * consent that grants {@code object} (null: only the consent) for {@code meter} (null: any).
     */
    Consent admit(String bridge, boolean isBridge, DataObject object, Eui64 meter) throws BridgeAccessException {
        if (!isBridge) {
            audit.refused(BridgeAudit.READ_REFUSED, bridge, "not a bridge (no " + org.modhub.api.bridge.MeteringBridge.BRIDGE_HEADER
                    + " manifest header)");
            throw new BridgeAccessException(Reason.NOT_A_BRIDGE, "bundle " + bridge + " is not a bridge: its manifest has no "
                    + org.modhub.api.bridge.MeteringBridge.BRIDGE_HEADER + " header");
        }
        Optional<Consent> found = consent(bridge);
        if (found.isEmpty()) {
            String why = duplicate(bridge) ? "more than one consent configuration (" + Consent.PID + ") names it"
                    : "no consent configuration (" + Consent.PID + ") names it";
            audit.refused(BridgeAudit.READ_REFUSED, bridge, "no consent: " + why);
            throw new BridgeAccessException(Reason.NOT_A_BRIDGE, "bridge " + bridge + " has no consent: " + why);
        }
        Consent consent = found.get();
        RateLimiter limiter = limiters.compute(bridge, (k, l) -> l != null && l.perMinute() == consent.readsPerMinute() ? l
                : new RateLimiter(consent.readsPerMinute(), nanoClock));
        long wait = limiter.tryAcquire();
        if (wait > 0) {
            audit.refused(BridgeAudit.RATE_LIMITED, bridge, "read rate " + consent.readsPerMinute() + "/min exceeded");
            throw new BridgeAccessException(Reason.RATE_LIMITED, "bridge " + bridge + " exceeded its read rate of "
                    + consent.readsPerMinute() + " reads per minute; retry in " + wait + " ms", wait);
        }
        if (object != null && !consent.grants(object)) {
            audit.refused(BridgeAudit.READ_REFUSED, bridge, "data object " + object.configName() + " not granted");
            throw new BridgeAccessException(Reason.NOT_GRANTED, "bridge " + bridge + " is not granted data object '"
                    + object.configName() + "' (granted: " + consent.granted().stream().sorted().map(DataObject::configName).toList() + ")");
        }
        if (meter != null && !consent.grantsMeter(meter)) {
            audit.refused(BridgeAudit.READ_REFUSED, bridge, "meter " + meter + " not granted");
            throw new BridgeAccessException(Reason.NOT_GRANTED, "bridge " + bridge + " is not granted meter " + meter);
        }
        return consent;
    }
}
