package org.modhub.reports.internal;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.modhub.api.cloud.CloudMethod;
import org.modhub.api.cloud.CloudRequest;
import org.modhub.api.cloud.CloudRequestException;
import org.modhub.api.cloud.CloudRequestHandler;
import org.modhub.api.cloud.CloudResponse;
import org.modhub.api.common.Eui64;
import org.modhub.api.gas.GasProxy;
import org.modhub.api.gas.MirrorRead;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The head end reads the gas mirror: cloud application {@code GAS-MIRROR}, request
 * {@code GET/mirror/<EUI-64>}. The answer comes from the Gas Proxy Function's mirror only — this
 * handler has no way to reach the meter, so a read never wakes it — with the age of the values.
 * Metrics: {@code meter}, {@code captured.at} (epoch ms), {@code age.s}, {@code stale},
 * {@code volume.m3} (decimal text, exact), {@code today.energy.wh}, {@code today.cost.minor}.
 * 404 when the mirror holds nothing for the meter, 400 for a malformed request.
 */
@Component(property = CloudRequestHandler.APP_ID + "=" + GasMirrorReads.APP_ID)
public class GasMirrorReads implements CloudRequestHandler {
    public static final String APP_ID = "GAS-MIRROR";

    private final GasProxy mirror;

    @Activate
    public GasMirrorReads(@Reference GasProxy mirror) {
        this.mirror = mirror;
    }

    @Override
    public CompletionStage<CloudResponse> handle(CloudRequest request) {
        try {
            return CompletableFuture.completedFuture(answer(request));
        } catch (CloudRequestException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    CloudResponse answer(CloudRequest request) throws CloudRequestException {
        List<String> r = request.resources();
        if (request.method() != CloudMethod.GET || r.size() != 2 || !"mirror".equals(r.get(0))) {
            throw new CloudRequestException(CloudResponse.BAD_REQUEST, "expected GET/mirror/<EUI-64>");
        }
        Eui64 meter;
        try {
            meter = Eui64.parse(r.get(1));
        } catch (IllegalArgumentException e) {
            throw new CloudRequestException(CloudResponse.BAD_REQUEST, e.getMessage());
        }
        Optional<MirrorRead> read = mirror.read(meter);
        if (read.isEmpty()) {
            throw new CloudRequestException(CloudResponse.NOT_FOUND, "no mirrored values for " + meter);
        }
        MirrorRead m = read.get();
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("meter", m.meter().toString());
        metrics.put("captured.at", m.capturedAt().toEpochMilli());
        metrics.put("age.s", m.age().toSeconds());
        metrics.put("stale", m.stale());
        metrics.put("volume.m3", m.volumeM3().toPlainString());
        metrics.put("today.energy.wh", m.todayEnergyWh());
        metrics.put("today.cost.minor", m.todayCostMinor());
        metrics.put("read.at", Instant.now().toEpochMilli());
        return CloudResponse.ok(metrics, null);
    }
}
