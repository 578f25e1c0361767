package org.modhub.mesh.gateway.internal;

import java.io.IOException;
import java.util.function.Supplier;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The emulated border gateway as an OSGi component, on fixed ports from its configuration (a gateway for
 * other hubs or tools): the far side of the mesh link, never part of a production variant. It runs only
 * when configured (the dev variant's {@code meshemu:start} runs its own gateway instead, see
 * {@link DevMeshShell}). It registers no service; the hub reaches it over the network.
 */
@Component(configurationPid = MeshGatewayEmulator.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        immediate = true, service = {})
@Designate(ocd = GatewayConfig.class)
public final class MeshGatewayEmulator {
    static final String PID = "org.modhub.emulator.meshgw";

    private final BorderGateway gateway;

    @Activate
    public MeshGatewayEmulator(GatewayConfig config, @Reference(service = LoggerFactory.class) Logger log)
            throws IOException {
        GatewaySettings s;
        try {
            s = settings(config);
        } catch (IllegalArgumentException e) {
            log.error("invalid configuration {}: {}", PID, e.getMessage());
            throw e;
        }
        gateway = new BorderGateway(s, new GatewayLog() {
            @Override
            public void info(String message) {
                log.info(message);
            }

            @Override
            public void warn(String message) {
                log.warn(message);
            }
        });
        gateway.start();
    }

    static GatewaySettings settings(GatewayConfig c) {
        RadioRelay.Radio radio = new RadioRelay.Radio(get(c::latencyMs, "latencyMs"), get(c::jitterMs, "jitterMs"),
                check(get(c::lossPercent, "lossPercent"), 0, 99, "lossPercent") / 100.0, get(c::mtu, "mtu"),
                System.nanoTime());
        return new GatewaySettings(get(c::host, "host"), get(c::coapPort, "coapPort"), get(c::radioPort, "radioPort"),
                radio, get(c::pskIdentity, "pskIdentity"), GatewaySettings.hex("pskSecret", get(c::pskSecret, "pskSecret")),
                get(c::brokerUri, "brokerUri"), get(c::mqttClientId, "mqttClientId"), get(c::account, "account"),
                get(c::clientId, "clientId"), get(c::blockSize, "blockSize"), 1 << 20, 10_000, 1_000);
    }

    private static int check(int v, int min, int max, String field) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(field + ": out of " + min + ".." + max + ": " + v);
        }
        return v;
    }

    private static <T> T get(Supplier<T> value, String field) {
        try {
            return value.get();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(field + ": cannot be converted: " + e.getMessage(), e);
        }
    }

    @Deactivate
    void deactivate() {
        gateway.stop();
    }
}
