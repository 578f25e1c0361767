package org.modhub.bridge.mqttjson.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.modhub.api.bridge.BridgeAccessException;
import org.modhub.api.bridge.MeteringBridge;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The example bridge: through its {@link MeteringBridge} view only, publishes what the occupier
 * granted as JSON over MQTT to a broker on loopback (off until {@code brokerUri} or the framework
 * property {@value #BROKER_PROPERTY} names one) and answers reads on a small HTTP API. Nothing happens
 * on the activation path: the HTTP server and the MQTT connection start on the bridge's own thread.
 */
@Component(immediate = true, configurationPid = MqttJsonBridge.PID)
@Designate(ocd = MqttJsonBridge.Config.class)
public class MqttJsonBridge {
    static final String PID = "org.modhub.bridge.mqttjson";
    static final String BROKER_PROPERTY = "modhub.bridge.broker";
    static final String HTTP_PORT_PROPERTY = "modhub.bridge.http.port";

    @ObjectClassDefinition(id = PID, name = "modhub example bridge (JSON over MQTT and HTTP)")
    public @interface Config {
        @AttributeDefinition(name = "Broker URI", description = "tcp://127.0.0.1:PORT of the appliance network's "
                + "broker (loopback only); empty: MQTT off.")
        String brokerUri() default "";

        @AttributeDefinition(name = "Topic prefix")
        String topicPrefix() default "modhub/bridge";

        @AttributeDefinition(name = "Publish interval (s)", min = "5", max = "86400")
        int publishSeconds() default 60;

        @AttributeDefinition(name = "HTTP host", description = "Loopback address of the read API.")
        String httpHost() default "127.0.0.1";

        @AttributeDefinition(name = "HTTP port", min = "0", max = "65535", description = "Port of the read API; 0: off.")
        int httpPort() default 8041;

        @AttributeDefinition(name = "Client id")
        String clientId() default "modhub-bridge-mqtt-json";
    }

    record Settings(URI broker, String prefix, int publishSeconds, InetSocketAddress http, String clientId) {
    }

    private final MeteringBridge bridge;
    private final Logger log;
    private final Settings settings;
    private final ScheduledExecutorService thread;
    private volatile BridgeHttpApi api;
    private volatile MqttClient client;

    @Activate
    public MqttJsonBridge(@Reference MeteringBridge bridge, @Reference(service = LoggerFactory.class) Logger log,
            BundleContext context, Config config, Map<String, Object> properties) {
        this.bridge = bridge;
        this.log = log;
        boolean configured = properties.containsKey("service.pid");
        try {
            this.settings = validate(config, configured ? null : context.getProperty(BROKER_PROPERTY),
                    configured ? null : context.getProperty(HTTP_PORT_PROPERTY));
        } catch (IllegalArgumentException e) {
            log.error(e.getMessage());
            throw e;
        }
        thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "modhub-bridge-mqtt-json");
            t.setDaemon(true);
            return t;
        });
        thread.execute(this::startHttp);
        if (settings.broker() != null) {
            thread.scheduleWithFixedDelay(this::cycle, 0, settings.publishSeconds(), TimeUnit.SECONDS);
        }
    }

    static Settings validate(Config c, String brokerOverride, String portOverride) {
        String broker = brokerOverride != null && !brokerOverride.isBlank() ? brokerOverride.trim() : c.brokerUri().trim();
        URI uri = null;
        if (!broker.isEmpty()) {
            try {
                uri = URI.create(broker);
                if (!"tcp".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 1
                        || !InetAddress.getByName(uri.getHost()).isLoopbackAddress()) {
                    throw new IllegalArgumentException();
                }
            } catch (IllegalArgumentException | IOException e) {
                throw new IllegalArgumentException("configuration " + PID + ": field 'brokerUri': '" + broker
                        + "' is not tcp://<loopback address>:<port>");
            }
        }
        String prefix = c.topicPrefix().trim();
        if (prefix.isEmpty() || prefix.contains("#") || prefix.contains("+") || prefix.endsWith("/") || prefix.length() > 200) {
            throw new IllegalArgumentException("configuration " + PID + ": field 'topicPrefix': '" + prefix
                    + "' must be a non-empty topic without wildcards or a trailing '/'");
        }
        if (c.publishSeconds() < 5 || c.publishSeconds() > 86_400) {
            throw new IllegalArgumentException("configuration " + PID + ": field 'publishSeconds': "
                    + c.publishSeconds() + " is out of 5..86400");
        }
        int port = c.httpPort();
        if (portOverride != null && !portOverride.isBlank()) {
            try {
                port = Integer.parseInt(portOverride.trim());
            } catch (NumberFormatException e) {
                port = -1;
            }
        }
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("configuration " + PID + ": field 'httpPort': " + port + " is out of 0..65535");
        }
        InetSocketAddress http = null;
        if (port > 0) {
            try {
                InetAddress a = InetAddress.getByName(c.httpHost().trim());
                if (!a.isLoopbackAddress()) {
                    throw new IOException();
                }
                http = new InetSocketAddress(a, port);
            } catch (IOException e) {
                throw new IllegalArgumentException("configuration " + PID + ": field 'httpHost': '" + c.httpHost()
                        + "' is not a loopback address");
            }
        }
        if (c.clientId().isBlank() || c.clientId().length() > 64) {
            throw new IllegalArgumentException("configuration " + PID + ": field 'clientId': must be 1..64 characters");
        }
        return new Settings(uri, prefix, c.publishSeconds(), http, c.clientId());
    }

    private void startHttp() {
        if (settings.http() == null) {
            return;
        }
        BridgeHttpApi a = new BridgeHttpApi(bridge, Clock.systemUTC());
        try {
            a.start(settings.http());
            api = a;
            log.info("bridge read API on http://{}:{}/meters", settings.http().getAddress().getHostAddress(),
                    a.address().getPort());
        } catch (IOException e) {
            log.error("bridge read API cannot listen on {}: {}", settings.http(), e.getMessage());
        }
    }

    /** One publish cycle; connects first when needed. Errors are logged and retried next cycle. */
    private void cycle() {
        try {
            MqttClient c = client;
            if (c == null || !c.isConnected()) {
                if (c != null) {
                    closeQuietly(c);
                }
                c = new MqttClient(settings.broker().toString(), settings.clientId(), new MemoryPersistence());
                MqttConnectOptions o = new MqttConnectOptions();
                o.setCleanSession(true);
                o.setAutomaticReconnect(false);
                o.setConnectionTimeout(10);
                o.setKeepAliveInterval(60);
                o.setWill(settings.prefix() + "/status", "{\"state\":\"offline\"}".getBytes(StandardCharsets.UTF_8), 1, true);
                c.connect(o);
                MqttPublisher.send(c, settings.prefix() + "/status", "{\"state\":\"online\"}");
                client = c;
            }
            new MqttPublisher(bridge, settings.prefix(), Clock.systemUTC()).publish(c);
        } catch (BridgeAccessException e) {
            log.warn("bridge read refused ({}): {}", e.reason(), e.getMessage());
        } catch (MqttException | RuntimeException e) {
            log.warn("publish to {} failed: {}", settings.broker(), e.toString());
        }
    }

    @Deactivate
    void deactivate() {
        thread.shutdownNow();
        BridgeHttpApi a = api;
        if (a != null) {
            a.stop();
        }
        MqttClient c = client;
        if (c != null) {
            try {
                if (c.isConnected()) {
                    MqttPublisher.send(c, settings.prefix() + "/status", "{\"state\":\"offline\"}");
                    c.disconnect(2000);
                }
            } catch (MqttException e) {
                // going away anyway
            }
            closeQuietly(c);
        }
    }

    private static void closeQuietly(MqttClient c) {
        try {
            c.close(true);
        } catch (MqttException e) {
            // ignore
        }
    }
}
