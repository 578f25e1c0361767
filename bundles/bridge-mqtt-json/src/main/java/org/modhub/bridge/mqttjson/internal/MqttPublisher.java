package org.modhub.bridge.mqttjson.internal;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.eclipse.paho.client.mqttv3.IMqttClient;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.modhub.api.bridge.BridgeAccessException;
import org.modhub.api.bridge.BridgeMeter;
import org.modhub.api.bridge.DataObject;
import org.modhub.api.bridge.MeteringBridge;

/**
 * One publish cycle: every granted data object of every meter the bridge may read, as retained JSON
 * (QoS 1) under {@code {prefix}}:
 * <pre>
 * {prefix}/status                         {"state":"online"} (retained; the last will says "offline")
 * {prefix}/meters                         {"meters":[{"id":"000D6F0000000011","kind":"electricity"}, ...]}
 * {prefix}/meter/{id}/registers           current-registers
 * {prefix}/meter/{id}/demand              demand
 * {prefix}/meter/{id}/tariff              tariff
 * {prefix}/meter/{id}/half-hourly         half-hourly-history: the last 24 h (or the granted window if shorter)
 * {prefix}/meter/{id}/gas-mirror          gas-mirror
 * </pre>
 * A data object that is not granted is not published (and not asked for: {@link MeteringBridge#granted()}
 * costs no read). A refused read ends the cycle early; the next cycle tries again.
 */
final class MqttPublisher {
    static final Duration DEFAULT_HISTORY = Duration.ofHours(24);

    private final MeteringBridge bridge;
    private final String prefix;
    private final Clock clock;

    MqttPublisher(MeteringBridge bridge, String prefix, Clock clock) {
        this.bridge = bridge;
        this.prefix = prefix;
        this.clock = clock;
    }

    /** Publishes one cycle; returns the number of messages published. */
    int publish(IMqttClient client) throws MqttException, BridgeAccessException {
        Set<DataObject> granted = bridge.granted();
        if (granted.isEmpty()) {
            return 0;
        }
        int n = 0;
        List<BridgeMeter> meters = bridge.meters();
        send(client, prefix + "/meters", BridgeJson.meters(meters));
        n++;
        Instant now = clock.instant();
        for (BridgeMeter m : meters) {
            String base = prefix + "/meter/" + m.id().toHex();
            if (granted.contains(DataObject.CURRENT_REGISTERS)) {
                send(client, base + "/registers", BridgeJson.readings(m.id(), bridge.currentRegisters(m.id())));
                n++;
            }
            if (!m.gas() && granted.contains(DataObject.DEMAND)) {
                send(client, base + "/demand", BridgeJson.readings(m.id(), bridge.demand(m.id())));
                n++;
            }
            if (!m.gas() && granted.contains(DataObject.TARIFF)) {
                send(client, base + "/tariff", BridgeJson.readings(m.id(), bridge.tariffRegisters(m.id())));
                n++;
            }
            if (granted.contains(DataObject.HALF_HOURLY_HISTORY)) {
                Duration window = bridge.historyWindow().compareTo(DEFAULT_HISTORY) < 0 ? bridge.historyWindow()
                        : DEFAULT_HISTORY;
                // a second inside the window, so the clock moving between here and the hub's check never refuses it
                Instant from = now.minus(window).plusSeconds(1);
                send(client, base + "/half-hourly", BridgeJson.samples(m.id(), bridge.halfHourly(m.id(), from, now.plusSeconds(1))));
                n++;
            }
            if (m.gas() && granted.contains(DataObject.GAS_MIRROR)) {
                send(client, base + "/gas-mirror", BridgeJson.mirror(m.id(), bridge.gasMirror(m.id()), now));
                n++;
            }
        }
        return n;
    }

    static void send(IMqttClient client, String topic, String json) throws MqttException {
        MqttMessage msg = new MqttMessage(json.getBytes(StandardCharsets.UTF_8));
        msg.setQos(1);
        msg.setRetained(true);
        client.publish(topic, msg);
    }
}
