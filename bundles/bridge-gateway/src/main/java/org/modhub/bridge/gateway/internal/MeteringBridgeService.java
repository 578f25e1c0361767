package org.modhub.bridge.gateway.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.modhub.api.bridge.BridgeAccessException;
import org.modhub.api.bridge.BridgeMeter;
import org.modhub.api.bridge.DataObject;
import org.modhub.api.bridge.MeteringBridge;
import org.modhub.api.common.Eui64;
import org.modhub.api.gas.GasProxy;
import org.modhub.api.gas.MirrorRead;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.osgi.framework.Bundle;
import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.annotations.ServiceScope;

/**
 * The {@link MeteringBridge} service, bundle scope: every bundle that gets it gets its own view, bound
 * to that bundle's symbolic name, so a bridge cannot read under another bridge's consent.
 */
@Component(service = MeteringBridge.class, scope = ServiceScope.BUNDLE)
public class MeteringBridgeService implements MeteringBridge {
    @Reference
    BridgeGuard guard;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile MeteringStore metering;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile GasProxy gas;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile DeviceLog deviceLog;

    private MeteringBridgeView view;

    @Activate
    void activate(ComponentContext context) {
        Bundle user = context.getUsingBundle();
        String id = user == null ? "?" : user.getSymbolicName();
        boolean bridge = guard.isBridge(user);
        if (bridge && BridgeGuard.importsConfigAdmin(user)) {
            // it could write its own consent: serve it nothing
            guard.policy().audit().refused(BridgeAudit.WRITE_REFUSED, id, "imports org.osgi.service.cm: a bridge may not"
                    + " configure the hub; it gets no data");
            bridge = false;
        }
        view = new MeteringBridgeView(id, bridge, guard.policy(), () -> metering, () -> gas,
                () -> deviceLog, Clock.systemUTC());
    }

    @Override
    public String bridgeId() {
        return view.bridgeId();
    }

    @Override
    public Set<DataObject> granted() {
        return view.granted();
    }

    @Override
    public Duration historyWindow() {
        return view.historyWindow();
    }

    @Override
    public List<BridgeMeter> meters() throws BridgeAccessException {
        return view.meters();
    }

    @Override
    public List<Reading> currentRegisters(Eui64 meter) throws BridgeAccessException {
        return view.currentRegisters(meter);
    }

    @Override
    public List<Reading> demand(Eui64 meter) throws BridgeAccessException {
        return view.demand(meter);
    }

    @Override
    public List<Reading> tariffRegisters(Eui64 meter) throws BridgeAccessException {
        return view.tariffRegisters(meter);
    }

    @Override
    public List<ProfileSample> halfHourly(Eui64 meter, Instant from, Instant to) throws BridgeAccessException {
        return view.halfHourly(meter, from, to);
    }

    @Override
    public Optional<MirrorRead> gasMirror(Eui64 meter) throws BridgeAccessException {
        return view.gasMirror(meter);
    }
}
