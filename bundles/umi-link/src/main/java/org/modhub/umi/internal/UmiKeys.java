package org.modhub.umi.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.HubEvent;
import org.modhub.api.event.Severity;
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
 * The DLMS key store of this bundle as a service (inside the bundle only: the package is not
 * exported) and its shell commands: {@code umi:keyput <id> <systemTitle> <blockCipherKey>
 * <authenticationKey>} (hex), {@code umi:keys} (ids only), {@code umi:keyremove <id>}. The store is
 * opened on first use, never on activation (PKCS#12 key derivation takes a few hundred ms). Keys are
 * never printed, logged or published; every change is an audit event.
 */
@Component(service = UmiKeys.class, configurationPid = UmiKeys.PID, property = {"osgi.command.scope=umi",
    "osgi.command.function=keyput", "osgi.command.function=keys", "osgi.command.function=keyremove"})
@Designate(ocd = UmiKeys.Config.class)
public class UmiKeys {
    public static final String PID = "org.modhub.umi.keys";

    @ObjectClassDefinition(id = PID, name = "modhub DLMS key store", description = "Where the meter links' DLMS keys "
            + "are kept (PKCS#12, encrypted) and where the store's secret comes from.")
    public @interface Config {
        @AttributeDefinition(description = "file:<path> (owner-only, 0600; created on first use) or env:<NAME>; "
                + "empty: file:<modhub.data>/umi/keystore.secret.")
        String secretSource() default "";

        @AttributeDefinition(description = "The PKCS#12 file; empty: <modhub.data>/umi/dlms-keys.p12.")
        String path() default "";
    }

    private final Logger log;
    private final String secretSource;
    private final Path path;
    private DlmsKeyStore store;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile EventLog eventLog;

    @Activate
    public UmiKeys(Config config, BundleContext context, @Reference(service = LoggerFactory.class) Logger log) {
        this.log = log;
        String data = context.getProperty("modhub.data");
        Path base = Path.of(data == null || data.isBlank() ? "modhub-data" : data, "umi");
        String spec = config.secretSource() == null ? "" : config.secretSource().strip();
        this.secretSource = spec.isEmpty() ? "file:" + base.resolve("keystore.secret") : spec;
        try {
            SecretSource.checkSpec(secretSource);
        } catch (IllegalArgumentException e) {
            String msg = "configuration " + PID + " refused: field secretSource: " + e.getMessage();
            log.error(msg);
            throw new IllegalArgumentException(msg);
        }
        String p = config.path() == null ? "" : config.path().strip();
        this.path = p.isEmpty() ? base.resolve("dlms-keys.p12") : Path.of(p);
    }

    /** For tests: a store already open. */
    UmiKeys(DlmsKeyStore store, Logger log) {
        this.log = log;
        this.secretSource = null;
        this.path = null;
        this.store = store;
    }

    /** The key store, opened on first use. */
    public synchronized DlmsKeyStore store() throws DlmsKeyStore.KeyStoreException {
        if (store == null) {
            char[] secret;
            try {
                secret = SecretSource.read(secretSource, secretSource.startsWith("file:"), System.getenv());
            } catch (IOException | IllegalArgumentException e) {
                throw new DlmsKeyStore.KeyStoreException("DLMS key-store secret from " + secretSource + ": "
                        + e.getMessage(), e);
            }
            store = new DlmsKeyStore(path, secret);
            java.util.Arrays.fill(secret, '\0');
        }
        return store;
    }

    /** The keys of an id, if stored. */
    public Optional<DlmsKeys> keys(String id) throws DlmsKeyStore.KeyStoreException {
        return store().get(id);
    }

    /** Stores keys (the configuration import path and {@link #keyput}); an audit event says so, without keys. */
    public void put(String id, DlmsKeys keys, String how) throws DlmsKeyStore.KeyStoreException {
        store().put(id, keys);
        audit("UMI_KEYS_STORED", "DLMS keys '" + id + "' stored (" + how + ")");
    }

    // ---- shell commands ----

    public String keyput(String id, String systemTitle, String blockCipherKey, String authenticationKey)
            throws Exception {
        DlmsKeys k;
        try {
            DlmsKeyStore.checkId(id);
            HexFormat hex = HexFormat.of();
            k = new DlmsKeys(hex.parseHex(systemTitle), hex.parseHex(blockCipherKey), hex.parseHex(authenticationKey));
        } catch (IllegalArgumentException e) {
            return "refused: " + e.getMessage(); // the message names the field, never a key
        }
        put(id, k, "shell");
        return "stored DLMS keys '" + id + "'";
    }

    public String keys() throws Exception {
        List<String> ids = store().ids();
        return ids.isEmpty() ? "(no DLMS keys)" : String.join("\n", ids);
    }

    public String keyremove(String id) throws Exception {
        boolean removed = store().remove(id);
        if (removed) {
            audit("UMI_KEYS_REMOVED", "DLMS keys '" + id + "' removed (shell)");
        }
        return removed ? "removed '" + id + "'" : "no DLMS keys '" + id + "'";
    }

    private void audit(String code, String detail) {
        log.info("{}: {}", code, detail);
        EventLog e = eventLog;
        if (e != null) {
            try {
                e.log(HubEvent.of(EventKind.AUDIT, code, Severity.INFO, null, UmiLinkService.SOURCE, detail));
            } catch (RuntimeException ex) {
                log.error("cannot log event {}: {}", code, ex.getMessage());
            }
        }
    }
}
