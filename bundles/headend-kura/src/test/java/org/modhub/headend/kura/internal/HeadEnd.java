package org.modhub.headend.kura.internal;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallbackExtended;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/** The head end's side in tests: a Paho client subscribed to everything, reconnecting on its own. */
final class HeadEnd implements AutoCloseable {
    record Msg(String topic, byte[] payload) {
    }

    final List<Msg> received = new CopyOnWriteArrayList<>();
    final Map<String, Boolean> state = new ConcurrentHashMap<>();
    private final MqttClient client;
    private volatile boolean ready;
    private volatile boolean closed;
    private final Thread keeper;

    HeadEnd(String uri, String id) throws MqttException {
        client = new MqttClient(uri, id, new MemoryPersistence());
        client.setCallback(new MqttCallbackExtended() {
            @Override
            public void connectComplete(boolean reconnect, String serverURI) {
            }

            @Override
            public void connectionLost(Throwable cause) {
                ready = false;
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                received.add(new Msg(topic, message.getPayload()));
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {
            }
        });
        keeper = new Thread(this::keep, "test-headend-" + id);
        keeper.setDaemon(true);
        keeper.start();
    }

    private void keep() {
        while (!closed) {
            if (!ready) {
                try {
                    MqttConnectOptions o = new MqttConnectOptions();
                    o.setCleanSession(true);
                    o.setMaxInflight(1000);
                    o.setConnectionTimeout(5);
                    client.connect(o);
                    client.subscribe(new String[] {"#", "$EDC/#"}, new int[] {1, 1});
                    ready = true;
                } catch (MqttException e) {
                    // broker not there yet
                }
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    boolean ready() {
        return ready && client.isConnected();
    }

    void publish(String topic, byte[] payload) throws MqttException {
        client.publish(topic, payload, 1, false);
    }

    List<Msg> on(String topic) {
        return received.stream().filter(m -> m.topic().equals(topic)).toList();
    }

    @Override
    public void close() throws Exception {
        closed = true;
        keeper.interrupt();
        keeper.join(5_000);
        try {
            if (client.isConnected()) {
                client.disconnect(1_000);
            }
        } catch (MqttException e) {
            // closing anyway
        }
        client.close(true);
    }
}
