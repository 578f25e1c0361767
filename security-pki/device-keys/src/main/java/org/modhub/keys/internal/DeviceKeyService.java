package org.modhub.keys.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import javax.crypto.SecretKey;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.HubEvent;
import org.modhub.api.event.Severity;
import org.modhub.api.health.ComponentHealth;
import org.modhub.api.health.HealthContributor;
import org.modhub.api.keys.DeviceKeyException;
import org.modhub.api.keys.DeviceKeys;
import org.modhub.api.keys.KeyType;
import org.modhub.api.keys.SecretSource;
import org.modhub.api.store.StateStore;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The hub's one {@link DeviceKeys} service (shell commands: {@link KeysShell}). Activation only checks the configuration: the
 * secret is read and the key-encryption key derived on first use, on the caller's thread. Service
 * properties carry no key material; every change is an audit event.
 */
@Component(service = {DeviceKeys.class, HealthContributor.class}, configurationPid = DeviceKeyService.PID)
@Designate(ocd = DeviceKeyService.Config.class)
public class DeviceKeyService implements DeviceKeys, HealthContributor {
    public static final String PID = "org.modhub.keys";
    static final String SOURCE = "device-keys";

    @ObjectClassDefinition(id = PID, name = "modhub device keys", description = "The symmetric device keys of "
            + "M-Bus meters and DLMS meter links, sealed in the hub's state store.")
    public @interface Config {
        @AttributeDefinition(description = "file:<path> (owner-only, 0600; made on first use) or env:<NAME>; "
                + "empty: file:<modhub.data>/keys/device-keys.secret.")
        String secretSource() default "";
    }

    private final StateStore state;
    private final String secretSource;
    private final Logger log;
    private KeyVault vault;
    private volatile String problem = "";

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile EventLog eventLog;

    @Activate
    public DeviceKeyService(@Reference StateStore state, Config config, BundleContext context,
            @Reference(service = LoggerFactory.class) Logger log) {
        this.log = log;
        String spec = config.secretSource() == null ? "" : config.secretSource().strip();
        if (spec.isEmpty()) {
            String data = context.getProperty("modhub.data");
            spec = "file:" + Path.of(data == null || data.isBlank() ? "modhub-data" : data, "keys", "device-keys.secret");
        }
        try {
            SecretSource.check(spec);
        } catch (IllegalArgumentException e) {
            String msg = "configuration " + PID + " refused: field secretSource: " + e.getMessage();
            log.error(msg);
            throw new IllegalArgumentException(msg);
        }
        this.secretSource = spec;
        this.state = state;
    }

    /** For tests: a vault already open. */
    DeviceKeyService(KeyVault vault, Logger log) {
        this.state = null;
        this.secretSource = null;
        this.log = log;
        this.vault = vault;
    }

    private synchronized KeyVault vault() throws DeviceKeyException {
        if (vault == null) {
            char[] secret = null;
            try {
                secret = SecretSource.read(secretSource, secretSource.startsWith("file:"), System.getenv(),
                        new SecureRandom());
                vault = new KeyVault(state, secret, new SecureRandom());
                problem = "";
            } catch (IOException | IllegalArgumentException e) {
                problem = "secret from " + secretSource + ": " + e.getMessage();
                throw refused(new DeviceKeyException("device-key secret from " + secretSource + ": " + e.getMessage(), e));
            } catch (DeviceKeyException e) {
                problem = e.getMessage();
                throw refused(e);
            } finally {
                if (secret != null) {
                    Arrays.fill(secret, '\0');
                }
            }
        }
        return vault;
    }

    private DeviceKeyException refused(DeviceKeyException e) {
        event(EventKind.AUDIT, "DEVICE_KEYS_REFUSED", Severity.ERROR, e.getMessage());
        return e;
    }

    @Override
    public void put(String keyId, Map<KeyType, byte[]> keys, String origin) throws DeviceKeyException {
        DeviceKeys.checkKeyId(keyId);
        KeyVault v = vault(); // a store that does not open is refused there, once
        try {
            v.put(keyId, keys);
        } catch (DeviceKeyException e) {
            throw refused(e);
        }
        event(EventKind.AUDIT, "DEVICE_KEYS_STORED", Severity.INFO, "device keys '" + keyId + "' " + keys.keySet()
                + " stored (" + origin + ")");
    }

    @Override
    public Optional<SecretKey> key(String keyId, KeyType type) throws DeviceKeyException {
        KeyVault v = vault();
        try {
            return v.key(keyId, type);
        } catch (DeviceKeyException e) {
            throw refused(e);
        }
    }

    @Override
    public boolean remove(String keyId, String origin) throws DeviceKeyException {
        boolean removed = vault().remove(keyId);
        if (removed) {
            event(EventKind.AUDIT, "DEVICE_KEYS_REMOVED", Severity.INFO, "device keys '" + keyId + "' removed ("
                    + origin + ")");
        }
        return removed;
    }

    @Override
    public SortedMap<String, Set<KeyType>> list() throws DeviceKeyException {
        return vault().list();
    }

    @Override
    public ComponentHealth health() {
        String p = problem;
        return p.isEmpty() ? ComponentHealth.up(SOURCE) : ComponentHealth.degraded(SOURCE, p);
    }

    private void event(EventKind kind, String code, Severity severity, String detail) {
        log.info("{}: {}", code, detail);
        EventLog e = eventLog;
        if (e != null) {
            try {
                e.log(HubEvent.of(kind, code, severity, null, SOURCE, detail));
            } catch (RuntimeException ex) {
                log.error("cannot log event {}: {}", code, ex.getMessage());
            }
        }
    }

    @Override
    public String toString() {
        return "device keys (" + SOURCE + ")";
    }
}
