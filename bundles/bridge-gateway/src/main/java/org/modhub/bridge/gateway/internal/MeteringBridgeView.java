package org.modhub.bridge.gateway.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.modhub.api.bridge.BridgeAccessException;
import org.modhub.api.bridge.BridgeAccessException.Reason;
import org.modhub.api.bridge.BridgeMeter;
import org.modhub.api.bridge.DataObject;
import org.modhub.api.bridge.MeteringBridge;
import org.modhub.api.common.Eui64;
import org.modhub.api.gas.GasProxy;
import org.modhub.api.gas.MirrorRead;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceType;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.metering.ObisCode;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.ReadingQuery;

/** One bridge's view: {@link MeteringBridge} over the hub's stores, through {@link BridgePolicy}. */
final class MeteringBridgeView implements MeteringBridge {
    /** Tariff registers looked at: ZigBee SE has up to 15 tiers, GB tariffs use up to 4 (TOU) or 8. */
    static final int MAX_TARIFFS = 8;
    static final Duration HALF_HOUR = Duration.ofMinutes(30);

    private final String bridge;
    private final boolean isBridge;
    private final BridgePolicy policy;
    private final Supplier<MeteringStore> metering;
    private final Supplier<GasProxy> gas;
    private final Supplier<DeviceLog> deviceLog;
    private final Clock clock;

    MeteringBridgeView(String bridge, boolean isBridge, BridgePolicy policy, Supplier<MeteringStore> metering,
            Supplier<GasProxy> gas, Supplier<DeviceLog> deviceLog, Clock clock) {
        this.bridge = bridge;
        this.isBridge = isBridge;
        this.policy = policy;
        this.metering = metering;
        this.gas = gas;
        this.deviceLog = deviceLog;
        this.clock = clock;
    }

    @Override
    public String bridgeId() {
        return bridge;
    }

    @Override
    public Set<DataObject> granted() {
        return isBridge ? policy.consent(bridge).map(Consent::granted).orElse(Set.of()) : Set.of();
    }

    @Override
    public Duration historyWindow() {
        return isBridge ? policy.consent(bridge).map(Consent::historyWindow).orElse(Duration.ZERO) : Duration.ZERO;
    }

    @Override
    public List<BridgeMeter> meters() throws BridgeAccessException {
        Consent consent = policy.admit(bridge, isBridge, null, null);
        List<BridgeMeter> out = new ArrayList<>();
        for (DeviceLogEntry e : need(deviceLog.get(), "device log").entries()) {
            if ((e.type() == DeviceType.ELECTRICITY_METER || e.type() == DeviceType.GAS_METER)
                    && consent.grantsMeter(e.device())) {
                out.add(new BridgeMeter(e.device(), e.type() == DeviceType.GAS_METER));
            }
        }
        return List.copyOf(out);
    }

    @Override
    public List<Reading> currentRegisters(Eui64 meter) throws BridgeAccessException {
        policy.admit(bridge, isBridge, DataObject.CURRENT_REGISTERS, meter);
        boolean isGas = meterType(meter) == DeviceType.GAS_METER;
        return latest(meter, isGas ? List.of(Measurands.GAS_VOLUME)
                : List.of(Measurands.ACTIVE_ENERGY_IMPORT, Measurands.ACTIVE_ENERGY_EXPORT));
    }

    @Override
    public List<Reading> demand(Eui64 meter) throws BridgeAccessException {
        policy.admit(bridge, isBridge, DataObject.DEMAND, meter);
        if (meterType(meter) == DeviceType.GAS_METER) {
            return List.of();
        }
        return latest(meter, List.of(Measurands.ACTIVE_POWER_IMPORT, Measurands.ACTIVE_POWER_EXPORT));
    }

    @Override
    public List<Reading> tariffRegisters(Eui64 meter) throws BridgeAccessException {
        policy.admit(bridge, isBridge, DataObject.TARIFF, meter);
        if (meterType(meter) == DeviceType.GAS_METER) {
            return List.of();
        }
        List<ObisCode> codes = new ArrayList<>();
        for (int t = 1; t <= MAX_TARIFFS; t++) {
            codes.add(Measurands.ACTIVE_ENERGY_IMPORT.withTariff(t));
            codes.add(Measurands.ACTIVE_ENERGY_EXPORT.withTariff(t));
        }
        return latest(meter, codes);
    }

    @Override
    public List<ProfileSample> halfHourly(Eui64 meter, Instant from, Instant to) throws BridgeAccessException {
        Consent consent = policy.admit(bridge, isBridge, DataObject.HALF_HOURLY_HISTORY, meter);
        if (from == null || to == null || !from.isBefore(to)) {
            throw new BridgeAccessException(Reason.RANGE_NOT_GRANTED, "history range must have from < to: " + from + " .. " + to);
        }
        Instant now = clock.instant();
        Instant earliest = now.minus(consent.historyWindow());
        if (from.isBefore(earliest)) {
            policy.audit().refused(BridgeAudit.READ_REFUSED, bridge, "history from " + from + " before the granted window");
            throw new BridgeAccessException(Reason.RANGE_NOT_GRANTED, "bridge " + bridge + " may read history back to "
                    + earliest + " (window " + consent.historyWindow().toHours() + " h), not from " + from);
        }
        boolean isGas = meterType(meter) == DeviceType.GAS_METER;
        int limit = (int) (consent.historyWindow().toMinutes() / 30) + 2;
        ObisCode measurand = isGas ? Measurands.GAS_VOLUME : Measurands.ACTIVE_ENERGY_IMPORT;
        List<ProfileSample> samples = need(metering.get(), "metering store")
                .profile(new ReadingQuery(meter, measurand, from, to, limit));
        List<ProfileSample> out = new ArrayList<>(samples.size());
        for (ProfileSample s : samples) {
            if (s.interval().equals(HALF_HOUR)) {
                out.add(s);
            }
        }
        return List.copyOf(out);
    }

    @Override
    public Optional<MirrorRead> gasMirror(Eui64 meter) throws BridgeAccessException {
        policy.admit(bridge, isBridge, DataObject.GAS_MIRROR, meter);
        if (meterType(meter) != DeviceType.GAS_METER) {
            return Optional.empty();
        }
        return need(gas.get(), "gas mirror").read(meter);
    }

    /** The type of a meter this bridge may see; anything else is refused as not granted. */
    private DeviceType meterType(Eui64 meter) throws BridgeAccessException {
        Optional<DeviceLogEntry> e = need(deviceLog.get(), "device log").find(meter);
        if (e.isEmpty() || (e.get().type() != DeviceType.ELECTRICITY_METER && e.get().type() != DeviceType.GAS_METER)) {
            policy.audit().refused(BridgeAudit.READ_REFUSED, bridge, "no meter " + meter);
            throw new BridgeAccessException(Reason.NOT_GRANTED, "no meter " + meter + " is visible to bridge " + bridge);
        }
        return e.get().type();
    }

    private List<Reading> latest(Eui64 meter, List<ObisCode> codes) throws BridgeAccessException {
        MeteringStore store = need(metering.get(), "metering store");
        List<Reading> out = new ArrayList<>();
        for (ObisCode c : codes) {
            store.latest(meter, c).ifPresent(out::add);
        }
        return List.copyOf(out);
    }

    private static <T> T need(T service, String what) throws BridgeAccessException {
        if (service == null) {
            throw new BridgeAccessException(Reason.UNAVAILABLE, "the hub's " + what + " is not available now");
        }
        return service;
    }
}
