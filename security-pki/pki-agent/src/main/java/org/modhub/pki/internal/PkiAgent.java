package org.modhub.pki.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.Severity;
import org.modhub.api.messaging.Envelope;
import org.modhub.api.messaging.EnvelopeCodec;
import org.modhub.api.messaging.MessageHandler;
import org.modhub.api.messaging.MessageType;
import org.modhub.api.security.CommandVerifier;
import org.modhub.api.security.KeyUse;
import org.modhub.api.security.MessageSigner;
import org.modhub.api.security.PackageManifest;
import org.modhub.api.security.PackageVerifier;
import org.modhub.api.security.PayloadCipher;
import org.modhub.api.security.RemoteParty;
import org.modhub.api.security.RemotePartyRole;
import org.modhub.api.security.SecurityCheckException;
import org.modhub.api.security.SignedEnvelopeCodec;
import org.modhub.api.security.TrustCommands;
import org.modhub.api.security.TrustStore;
import org.modhub.api.store.StateStore;
import org.osgi.framework.BundleContext;
import org.osgi.service.log.Logger;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The PKI agent: the hub's identity (key store), trust store, command verifier, message signer,
 * payload cipher and package verifier, and the handler of the {@link TrustCommands}. One component
 * so they share one view of the keys and the trust state.
 */
public class PkiAgent implements CommandVerifier, MessageSigner, PayloadCipher, PackageVerifier, TrustStore,
        MessageHandler {
    public static final String PID = "org.modhub.pki";

    @ObjectClassDefinition(id = PID, name = "modhub PKI agent",
            description = "Hub identity, trust store, signed commands, payload encryption, package signatures.")
    public @interface Config {
        @AttributeDefinition(description = "The hub's entity id (EUI-64). Empty: framework property modhub.hub.id.")
        String hubId() default "";

        @AttributeDefinition(description = "Key-store secret: file:<path> (mode 0600) or env:<NAME>. Empty: "
                + "file:<modhub.data>/pki/keystore.secret, created on first boot (development; provision it "
                + "outside the data folder in production).")
        String secretSource() default "";

        @AttributeDefinition(description = "PEM file of the root certificates installed on first boot (provisioning). "
                + "Ignored once anchors exist: after that only a Recovery-signed command replaces them. Empty: "
                + "framework property modhub.pki.provisionAnchors.")
        String provisionAnchors() default "";

        @AttributeDefinition(description = "PEM file of organisation / issuing-authority certificates installed "
                + "(and whitelisted) on first boot, after the anchors. Empty: framework property "
                + "modhub.pki.provisionParties.")
        String provisionParties() default "";

        @AttributeDefinition(description = "Which roles may issue which message code: CODE=ROLE|ROLE (NONE: nobody).")
        String[] codeRoles() default {
            "0x0F01=RECOVERY",
            "0x0F02=RECOVERY|ACCESS_CONTROL_BROKER",
            "0x0F03=RECOVERY|ACCESS_CONTROL_BROKER",
            "0x0F04=RECOVERY|ACCESS_CONTROL_BROKER",
            "0x0F05=RECOVERY|ACCESS_CONTROL_BROKER",
            "0x0F06=RECOVERY|ACCESS_CONTROL_BROKER",
            "0x0101=SUPPLIER",
            "0x0102=SUPPLIER",
            "0x0201=SUPPLIER|NETWORK_OPERATOR",
            "0x0301=SUPPLIER",
            "0x0302=SUPPLIER",
            "0x0303=SUPPLIER"};

        @AttributeDefinition(description = "Roles that may issue message codes not listed in codeRoles.")
        String[] defaultRoles() default {"SUPPLIER", "NETWORK_OPERATOR", "ACCESS_CONTROL_BROKER", "WAN_PROVIDER"};

        @AttributeDefinition(description = "Payload value ranges CODE:OFFSET:LENGTH:MIN:MAX (unsigned big-endian).")
        String[] valueRanges() default {"0x0302:0:8:1:25000", "0x0303:0:8:0:25000"};

        @AttributeDefinition(min = "1", max = "604800", description = "Largest accepted difference between a "
                + "command's date-time and the hub clock (s).")
        int validitySeconds() default 86_400;

        @AttributeDefinition(min = "128", description = "Largest signed command accepted (bytes).")
        int maxCommandBytes() default 65_536;

        @AttributeDefinition(description = "Where the hub's private keys live: pkcs12 (an encrypted file in the "
                + "data folder, unlocked by secretSource) or pkcs11 (a hardware security module through the JDK's "
                + "SunPKCS11 provider: keys generated on the token, never extractable; secretSource gives the user PIN).")
        String keyStore() default "pkcs12";

        @AttributeDefinition(description = "keyStore pkcs11: the token's PKCS#11 library (e.g. "
                + "/usr/lib/softhsm/libsofthsm2.so).")
        String pkcs11Library() default "";

        @AttributeDefinition(description = "keyStore pkcs11: the slot id of the token; -1: the first slot the "
                + "library lists.")
        long pkcs11Slot() default -1;
    }

    private final Logger log;
    private final HubKeys keys;
    private final TrustState trust;
    private final CommandVerification verification;
    private final GcmCipher cipher;
    private final Packages packages;
    private final TrustCommandHandler trustCommands;

    static Path dataDir(BundleContext context) {
        String data = context.getProperty("modhub.data");
        return Path.of(data == null || data.isBlank() ? "modhub-data" : data);
    }

    /**
     * Builds the agent: reads or creates the key store, loads the trust state. Slow (Bouncy Castle,
     * key store unlock, key generation on first boot): {@link PkiAgentComponent} runs it off the
     * framework's start path. Throws, naming the PID and the field, on a refused configuration.
     */
    public PkiAgent(StateStore state, EventLog eventLog, Logger log, Config config, Path dataDir, String frameworkHubId,
            Map<String, String> env, SecureRandom random, Supplier<Instant> clock) {
        this(state, eventLog, log, config, dataDir, frameworkHubId, env, random, clock, key -> null);
    }

    /** Framework properties read when the fields of the same name are empty (first-boot provisioning). */
    public static final String PROVISION_ANCHORS_PROPERTY = "modhub.pki.provisionAnchors";
    public static final String PROVISION_PARTIES_PROPERTY = "modhub.pki.provisionParties";

    /**
     * As above; {@code frameworkProperty} gives the framework properties {@value #PROVISION_ANCHORS_PROPERTY}
     * and {@value #PROVISION_PARTIES_PROPERTY}, used for provisioning when {@code provisionAnchors} /
     * {@code provisionParties} are not configured (a provisioning station or a dev hub passes them on the
     * java command line; like the configuration, they count only while the hub has no trust anchor).
     */
    public PkiAgent(StateStore state, EventLog eventLog, Logger log, Config config, Path dataDir, String frameworkHubId,
            Map<String, String> env, SecureRandom random, Supplier<Instant> clock,
            java.util.function.Function<String, String> frameworkProperty) {
        this.log = log;
        String id = config.hubId().isBlank() ? frameworkHubId : config.hubId();
        if (id == null || id.isBlank()) {
            id = "00-00-00-00-00-00-00-01";
            log.warn("no hub id configured ({} hubId or framework property modhub.hub.id); using {}", PID, id);
        }
        Eui64 hubId;
        try {
            hubId = Eui64.parse(id);
        } catch (IllegalArgumentException e) {
            throw refuse("hubId", e.getMessage());
        }
        Policy policy;
        try {
            policy = Policy.parse(config.codeRoles(), config.defaultRoles(), config.valueRanges());
        } catch (IllegalArgumentException e) {
            String field = e.getMessage().substring(0, Math.max(0, e.getMessage().indexOf(':')));
            throw refuse(field, e.getMessage().substring(e.getMessage().indexOf(':') + 1).trim());
        }
        if (config.validitySeconds() < 1 || config.validitySeconds() > 604_800) {
            throw refuse("validitySeconds", config.validitySeconds() + " out of 1..604800");
        }
        if (config.maxCommandBytes() < 128) {
            throw refuse("maxCommandBytes", config.maxCommandBytes() + " below 128");
        }
        Path pki = dataDir.resolve("pki");
        String store = config.keyStore() == null ? "" : config.keyStore().trim().toLowerCase(java.util.Locale.ROOT);
        if (!store.equals("pkcs12") && !store.equals("pkcs11")) {
            throw refuse("keyStore", "'" + config.keyStore() + "' is not pkcs12 or pkcs11");
        }
        boolean onToken = store.equals("pkcs11");
        java.security.Provider token = null;
        if (onToken) {
            if (config.secretSource().isBlank()) {
                throw refuse("secretSource", "keyStore pkcs11 needs the token's user PIN (file:<path> or env:<NAME>)");
            }
            token = Pkcs11.provider(config.pkcs11Library(), config.pkcs11Slot(), msg -> refuse("pkcs11Library", msg));
        }
        String secretSpec = config.secretSource().isBlank() ? "file:" + pki.resolve("keystore.secret")
                : config.secretSource();
        char[] secret;
        try {
            secret = SecretSource.read(secretSpec, config.secretSource().isBlank(), env, random);
        } catch (IllegalArgumentException | IOException e) {
            throw refuse("secretSource", e.getMessage());
        }
        SecurityEvents audit = new SecurityEvents(eventLog);
        try {
            this.keys = onToken ? HubKeys.onToken(hubId, token, secret, random) : new HubKeys(hubId, pki, secret, random);
        } catch (SecurityCheckException | IOException e) {
            audit.log("KEY_STORE_REFUSED", Severity.CRITICAL, hubId, e.getMessage());
            throw refuse("secretSource", e.getMessage());
        } finally {
            java.util.Arrays.fill(secret, '\0');
        }
        if (keys.created()) {
            String where = onToken ? "PKCS#11 token (" + token.getName() + ")" : pki.resolve(HubKeys.FILE).toString();
            audit.log("KEYS_GENERATED", Severity.INFO, hubId, "new digital-signature and key-agreement key pairs in "
                    + where);
            log.info("generated the hub's key pairs for {} in {}", hubId, where);
        }
        this.trust = new TrustState(state);
        for (String problem : trust.reload()) {
            log.error("trust store entry refused: {}", problem);
            audit.log("TRUST_ENTRY_REFUSED", Severity.ERROR, null, problem);
        }
        provision(orProperty(config.provisionAnchors(), frameworkProperty, PROVISION_ANCHORS_PROPERTY),
                orProperty(config.provisionParties(), frameworkProperty, PROVISION_PARTIES_PROPERTY), audit, clock.get());
        this.verification = new CommandVerification(hubId, trust, policy, state, audit, clock,
                Duration.ofSeconds(config.validitySeconds()), config.maxCommandBytes());
        this.cipher = new GcmCipher(keys, trust, state, audit, clock);
        this.packages = new Packages(trust, audit, clock);
        this.trustCommands = new TrustCommandHandler(trust, keys, policy, audit, clock, cipher::clear);
        if (!trust.hasAnchors()) {
            log.warn("{}: no trust anchors provisioned (provisionAnchors): every signed command will be refused", PID);
        }
    }

    private IllegalArgumentException refuse(String field, String why) {
        log.error("configuration {} refused: {}: {}", PID, field, why);
        return new IllegalArgumentException(PID + " " + field + ": " + why);
    }

    private static String orProperty(String configured, java.util.function.Function<String, String> property,
            String name) {
        if (!configured.isBlank()) {
            return configured;
        }
        String p = property.apply(name);
        return p == null ? "" : p.trim();
    }

    private void provision(String anchorsFile, String partiesFile, SecurityEvents audit, Instant now) {
        if (!trust.hasAnchors() && !anchorsFile.isBlank()) {
            try {
                List<Certificates.Info> roots = new ArrayList<>();
                for (X509Certificate c : pem(anchorsFile)) {
                    roots.add(Certificates.parse(c.getEncoded()));
                }
                trust.provisionAnchors(roots);
                audit.log("TRUST_ANCHORS_PROVISIONED", Severity.INFO, null, roots.size() + " from " + anchorsFile);
            } catch (Exception e) {
                throw refuse("provisionAnchors", e.getMessage());
            }
            if (!partiesFile.isBlank()) {
                try {
                    for (X509Certificate c : pem(partiesFile)) {
                        trust.install(Certificates.parse(c.getEncoded()), now);
                    }
                } catch (Exception e) {
                    throw refuse("provisionParties", e.getMessage());
                }
            }
        }
    }

    /** Certificates of a PEM (or DER) file, CA/issuing-authority certificates first. */
    private static List<X509Certificate> pem(String file) throws IOException, CertificateException {
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            Collection<? extends Certificate> all = CertificateFactory.getInstance("X.509").generateCertificates(in);
            List<X509Certificate> out = new ArrayList<>();
            all.stream().map(X509Certificate.class::cast).filter(c -> c.getBasicConstraints() >= 0).forEach(out::add);
            all.stream().map(X509Certificate.class::cast).filter(c -> c.getBasicConstraints() < 0).forEach(out::add);
            return out;
        }
    }

    /** The trust state, for tests in this package. */
    TrustState trust() {
        return trust;
    }

    // ---- CommandVerifier ----

    @Override
    public Envelope verify(byte[] signedCommand) throws SecurityCheckException {
        return verification.verify(signedCommand);
    }

    @Override
    public CommandVerifier.Checked check(byte[] signedCommand) throws SecurityCheckException {
        return verification.check(signedCommand);
    }

    @Override
    public CompletionStage<Envelope> accept(CommandVerifier.Checked checked) {
        return verification.accept(checked);
    }

    /**
     * Stores the originator counters as outbox state rows, committed with the outbox's messages (one
     * durable write for the counters of the commands admitted and the responses to earlier ones);
     * call before the agent is offered as the command verifier.
     */
    public void commitCountersWith(org.modhub.api.messaging.Outbox outbox) {
        verification.commitCountersWith(outbox);
    }

    /** Lets the counter writer thread end once idle; for the component going away. */
    public void close() {
        verification.close();
    }

    @Override
    public Set<RemotePartyRole> rolesFor(int messageCode) {
        return verification.policy().rolesFor(messageCode);
    }

    // ---- MessageSigner ----

    @Override
    public byte[] sign(Envelope message) {
        if (message.type() == MessageType.COMMAND) {
            throw new IllegalArgumentException("the hub signs responses and alerts, not commands");
        }
        if (!message.originator().equals(keys.entityId())) {
            throw new IllegalArgumentException("the hub signs only its own messages, not " + message.originator() + "'s");
        }
        byte[] bytes = EnvelopeCodec.encode(message);
        return SignedEnvelopeCodec.encode(bytes, keys.sign(bytes));
    }

    @Override
    public Eui64 entityId() {
        return keys.entityId();
    }

    @Override
    public X509Certificate signingCertificate() {
        return keys.certificate(KeyUse.DIGITAL_SIGNATURE);
    }

    // ---- PayloadCipher ----

    @Override
    public byte[] encrypt(Eui64 recipient, byte[] aad, byte[] plaintext) throws SecurityCheckException {
        return cipher.encrypt(recipient, aad, plaintext);
    }

    @Override
    public byte[] decrypt(Eui64 originator, byte[] aad, byte[] ciphered) throws SecurityCheckException {
        return cipher.decrypt(originator, aad, ciphered);
    }

    // ---- PackageVerifier ----

    @Override
    public PackageManifest verifyManifest(byte[] manifest, byte[] signature) throws SecurityCheckException {
        return packages.verifyManifest(manifest, signature);
    }

    @Override
    public void verifyFile(PackageManifest manifest, String name, InputStream content)
            throws SecurityCheckException, IOException {
        packages.verifyFile(manifest, name, content);
    }

    // ---- TrustStore ----

    /** The key store, for the TLS identity of this bundle ({@link PkiTlsIdentity}). */
    HubKeys keys() {
        return keys;
    }

    @Override
    public Eui64 hubId() {
        return keys.entityId();
    }

    @Override
    public X509Certificate hubCertificate(KeyUse use) {
        return keys.certificate(use);
    }

    @Override
    public byte[] certificateSigningRequest(KeyUse use) {
        return keys.csr(use);
    }

    @Override
    public List<X509Certificate> anchors() {
        return trust.anchors();
    }

    @Override
    public List<RemoteParty> parties() {
        return trust.parties();
    }

    @Override
    public Optional<RemoteParty> party(Eui64 entityId) {
        return trust.party(entityId);
    }

    // ---- MessageHandler (trust commands) ----

    @Override
    public CompletionStage<Envelope> handle(Envelope command) {
        return trustCommands.handle(command);
    }
}
