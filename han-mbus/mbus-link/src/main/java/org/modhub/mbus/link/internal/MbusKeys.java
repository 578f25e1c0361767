package org.modhub.mbus.link.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Set;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.HubEvent;
import org.modhub.api.event.Severity;
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
 * The M-Bus key store as a service inside this bundle, and its shell commands
 * ({@code mbus:keyput <reference> <32 hex digits>}, {@code mbus:keys}, {@code mbus:keyremove},
 * {@code mbus:enroll <EUI-64> <device type> <key reference>} to put a meter in the device log). The
 * key-encryption key is derived on first use, never on activation. Key material is never printed or
 * logged; every change is an audit event.
 */
@Component(service = MbusKeys.class, configurationPid = MbusKeys.PID, property = {"osgi.command.scope=mbus",
    "osgi.command.function=keyput", "osgi.command.function=keys", "osgi.command.function=keyremove",
    "osgi.command.function=enroll"})
@Designate(ocd = MbusKeys.Config.class)
public class MbusKeys {
    public static final String PID = "org.modhub.han.mbus.keys";

    @ObjectClassDefinition(id = PID, name = "modhub M-Bus key store", description = "Where the M-Bus key-store secret comes from.")
    public @interface Config {
        @AttributeDefinition(description = "file:<path> (owner-only; created on first use) or env:<NAME>; empty: file:<modhub.data>/mbus/keystore.secret.")
        String secretSource() default "";
    }

    private final StateStore state;
    private final String secretSource;
    private KeyStore store;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile EventLog eventLog;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile org.modhub.api.han.DeviceLog deviceLog;

    @Activate
    public MbusKeys(@Reference StateStore state, Config config, BundleContext context,
            @Reference(service = LoggerFactory.class) Logger log) {
        String spec = config.secretSource() == null ? "" : config.secretSource().strip();
        if (spec.isEmpty()) {
            String data = context.getProperty("modhub.data");
            spec = "file:" + Path.of(data == null || data.isBlank() ? "modhub-data" : data, "mbus", "keystore.secret");
        }
        if (!spec.startsWith("file:") && !spec.startsWith("env:")) {
            String msg = "configuration " + PID + ": field 'secretSource': must be file:<path> or env:<NAME>";
            log.error(msg);
            throw new IllegalArgumentException(msg);
        }
        this.state = state;
        this.secretSource = spec;
    }

    /** For tests: a store with a given secret. */
    MbusKeys(KeyStore store) {
        this.state = null;
        this.secretSource = null;
        this.store = store;
    }

    /** The key store, opened on first use (PBKDF2: not on the framework's start path). */
    public synchronized KeyStore store() throws KeyStore.KeyStoreException {
        if (store == null) {
            char[] secret;
            try {
                secret = readSecret(secretSource);
            } catch (IOException | IllegalArgumentException e) {
                throw new KeyStore.KeyStoreException("key-store secret from " + secretSource + ": " + e.getMessage(), e);
            }
            store = new KeyStore(state, secret, new SecureRandom());
        }
        return store;
    }

    static char[] readSecret(String spec) throws IOException {
        String secret;
        if (spec.startsWith("env:")) {
            secret = System.getenv(spec.substring(4));
            if (secret == null) {
                throw new IllegalArgumentException("environment variable " + spec.substring(4) + " is not set");
            }
        } else {
            Path file = Path.of(spec.substring(5));
            if (!Files.exists(file)) {
                byte[] raw = new byte[32];
                new SecureRandom().nextBytes(raw);
                Files.createDirectories(file.toAbsolutePath().getParent());
                try {
                    if (Files.getFileAttributeView(file.toAbsolutePath().getParent(), PosixFileAttributeView.class) != null) {
                        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                    } else {
                        Files.createFile(file);
                    }
                    Files.writeString(file, Base64.getEncoder().encodeToString(raw) + "\n");
                } catch (FileAlreadyExistsException raced) {
                    // created meanwhile: read that one
                }
            }
            PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
            if (view != null) {
                Set<PosixFilePermission> p = view.readAttributes().permissions();
                if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)) {
                    throw new IllegalArgumentException("secret file " + file + " is readable by others: chmod 600 it");
                }
            }
            secret = Files.readString(file, StandardCharsets.UTF_8).strip();
        }
        if (secret.length() < 16) {
            throw new IllegalArgumentException("the secret is shorter than 16 characters");
        }
        return secret.toCharArray();
    }

    // ---- shell commands ----

    public String keyput(String reference, String hex) throws Exception {
        byte[] key;
        try {
            key = HexFormat.of().parseHex(hex.replace(" ", ""));
        } catch (IllegalArgumentException e) {
            return "not hex";
        }
        store().put(reference, key);
        java.util.Arrays.fill(key, (byte) 0);
        audit("MBUS_KEY_STORED", "key '" + reference + "' stored");
        return "stored key '" + reference + "'";
    }

    public String keys() throws Exception {
        return String.join("\n", store().references());
    }

    public String keyremove(String reference) throws Exception {
        boolean removed = store().remove(reference);
        if (removed) {
            audit("MBUS_KEY_REMOVED", "key '" + reference + "' removed");
        }
        return removed ? "removed '" + reference + "'" : "no key '" + reference + "'";
    }

    public String enroll(String eui, String type, String keyReference) throws Exception {
        org.modhub.api.han.DeviceLog log = deviceLog;
        if (log == null) {
            return "no device log";
        }
        org.modhub.api.common.Eui64 device = org.modhub.api.common.Eui64.parse(eui);
        log.add(org.modhub.api.han.DeviceLogEntry.withKeyReference(device, org.modhub.api.han.DeviceType.parse(type), keyReference));
        audit("MBUS_DEVICE_ENROLLED", device + " (" + type + ", key reference '" + keyReference + "') added to the device log");
        return "enrolled " + device;
    }

    private void audit(String code, String detail) {
        EventLog log = eventLog;
        if (log != null) {
            log.log(HubEvent.of(EventKind.AUDIT, code, Severity.INFO, null, MeterSink.SOURCE, detail));
        }
    }
}
