package org.modhub.mbus.link.internal;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.modhub.api.common.Eui64;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.HanDevice;
import org.modhub.api.han.HanNetwork;
import org.modhub.api.han.UnknownDeviceException;
import org.modhub.api.health.ComponentHealth;
import org.modhub.api.health.HealthContributor;
import org.modhub.api.health.HealthState;
import org.modhub.api.keys.DeviceKeys;

/** What wired and wireless M-Bus networks share: devices, joining (there is none), health. */
abstract class AbstractMbusNetwork implements HanNetwork, HealthContributor {
    protected final DeviceLog deviceLog;
    protected volatile MeterSink sink;
    protected volatile String problem = "starting";
    protected volatile boolean started;

    AbstractMbusNetwork(DeviceLog deviceLog) {
        this.deviceLog = deviceLog;
    }

    /** M-Bus has no join procedure: a meter in the device log is read (wired) or listened to (wireless). */
    @Override
    public void permitJoining(Eui64 device, Duration duration) throws UnknownDeviceException {
        if (!deviceLog.contains(device)) {
            throw new UnknownDeviceException(device, "not in the device log");
        }
    }

    @Override
    public List<HanDevice> devices() {
        MeterSink s = sink;
        return s == null ? List.of() : List.copyOf(s.devices());
    }

    @Override
    public Optional<HanDevice> device(Eui64 id) {
        MeterSink s = sink;
        return s == null ? Optional.empty() : s.device(id).map(d -> (HanDevice) d);
    }

    @Override
    public int queuedForSleepy() {
        return 0;
    }

    /** The hub's device keys, while the service is there. */
    protected abstract DeviceKeys deviceKeys();

    static <T> CompletionStage<T> failed(Throwable t) {
        return CompletableFuture.failedFuture(t);
    }

    @Override
    public ComponentHealth health() {
        String name = "han-" + technology();
        if (!started) {
            return new ComponentHealth(name, HealthState.STARTING, problem);
        }
        String p = problem;
        if (p == null || p.isEmpty()) {
            p = deviceKeys() == null && deviceLog.entries().stream().anyMatch(e -> e.keyReference().isPresent())
                    ? "no device key service (org.modhub.api.keys.DeviceKeys): telegrams of meters with keys are refused"
                    : "";
        }
        return p.isEmpty() ? ComponentHealth.up(name) : ComponentHealth.degraded(name, p);
    }
}
