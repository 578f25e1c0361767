package org.modhub.pki.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.Severity;
import org.modhub.api.messaging.CommandRefusedException;
import org.modhub.api.messaging.Envelope;
import org.modhub.api.messaging.MessageHandler;
import org.modhub.api.security.KeyUse;
import org.modhub.api.security.RemotePartyRole;
import org.modhub.api.security.SecurityCheckException;
import org.modhub.api.security.SecurityCheckException.Reason;
import org.modhub.api.security.TrustCommands;

/**
 * Carries out the {@link TrustCommands} once the router has passed them through the command
 * verifier. Checks the originator's role again (anchor replacement: Recovery, always), checks the
 * whole payload, and only then writes.
 */
public final class TrustCommandHandler implements MessageHandler {
    public static final int[] CODES = {TrustCommands.REPLACE_TRUST_ANCHOR, TrustCommands.INSTALL_PARTY_CERTIFICATE,
        TrustCommands.REVOKE_CERTIFICATE, TrustCommands.WHITELIST_ADD, TrustCommands.WHITELIST_REMOVE,
        TrustCommands.INSTALL_HUB_CERTIFICATE};

    private final TrustState trust;
    private final HubKeys keys;
    private final Policy policy;
    private final SecurityEvents events;
    private final Supplier<Instant> clock;
    private final Runnable changed;

    public TrustCommandHandler(TrustState trust, HubKeys keys, Policy policy, SecurityEvents events,
            Supplier<Instant> clock, Runnable changed) {
        this.trust = trust;
        this.keys = keys;
        this.policy = policy;
        this.events = events;
        this.clock = clock;
        this.changed = changed;
    }

    @Override
    public CompletionStage<Envelope> handle(Envelope command) {
        try {
            String done = apply(command);
            events.log("TRUST_CHANGED", Severity.INFO, command.originator(), String.format("code 0x%04X from %s: %s",
                    command.messageCode(), command.originator(), done));
            changed.run();
            return CompletableFuture.completedFuture(command.respond(UUID.randomUUID().toString(), keys.entityId(),
                    clock.get(), ("OK " + done).getBytes(StandardCharsets.UTF_8)));
        } catch (SecurityCheckException e) {
            events.refused(String.format("trust command 0x%04X", command.messageCode()), e, command.originator());
            CommandRefusedException refused = new CommandRefusedException(command.messageCode(), e.getMessage());
            refused.initCause(e);
            return CompletableFuture.failedFuture(refused);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new CommandRefusedException(command.messageCode(),
                    "cannot write the key store: " + e.getMessage()));
        }
    }

    private String apply(Envelope command) throws SecurityCheckException, IOException {
        Instant now = clock.get();
        Certificates.Info signer = trust.certificate(command.originator(), KeyUse.DIGITAL_SIGNATURE).orElseThrow(
                () -> new SecurityCheckException(Reason.UNKNOWN_ORIGINATOR, command.originator() + " is not known"));
        Set<RemotePartyRole> allowed = command.messageCode() == TrustCommands.REPLACE_TRUST_ANCHOR
                ? Set.of(RemotePartyRole.RECOVERY) : policy.rolesFor(command.messageCode());
        if (allowed.stream().noneMatch(signer.roles()::contains)) {
            throw new SecurityCheckException(Reason.ROLE_NOT_PERMITTED, "roles " + signer.roles() + " may not do this");
        }
        trust.validate(signer, now);
        byte[] p = command.payload();
        switch (command.messageCode()) {
            case TrustCommands.REPLACE_TRUST_ANCHOR -> {
                List<byte[]> ders;
                try {
                    ders = TrustState.split(p);
                } catch (RuntimeException e) {
                    throw new SecurityCheckException(Reason.MALFORMED, "payload is not a length-prefixed certificate list");
                }
                if (ders.isEmpty()) {
                    throw new SecurityCheckException(Reason.MALFORMED, "no new anchor");
                }
                Certificates.Info root = Certificates.parse(ders.get(0));
                List<Certificates.Info> rest = new ArrayList<>();
                for (byte[] d : ders.subList(1, ders.size())) {
                    rest.add(Certificates.parse(d));
                }
                trust.replaceAnchors(root, rest, now);
                return "anchor " + root.fingerprint().substring(0, 16) + " with " + rest.size() + " certificates";
            }
            case TrustCommands.INSTALL_PARTY_CERTIFICATE -> {
                Certificates.Info cert = Certificates.parse(p);
                trust.install(cert, now);
                return "installed " + cert.fingerprint().substring(0, 16) + " for "
                        + cert.entityId().map(Object::toString).orElse("an issuing authority");
            }
            case TrustCommands.REVOKE_CERTIFICATE -> {
                if (p.length != 32) {
                    throw new SecurityCheckException(Reason.MALFORMED, "a revocation names a 32-byte SHA-256");
                }
                String fp = HexFormat.of().formatHex(p);
                if (trust.isAnchor(fp)) {
                    throw new SecurityCheckException(Reason.CERTIFICATE_INVALID,
                            "a trust anchor is replaced by the Recovery role, not revoked");
                }
                trust.revoke(fp);
                return "revoked " + fp.substring(0, 16);
            }
            case TrustCommands.WHITELIST_ADD, TrustCommands.WHITELIST_REMOVE -> {
                if (p.length != 8) {
                    throw new SecurityCheckException(Reason.MALFORMED, "a whitelist change names an 8-octet entity id");
                }
                Eui64 id = Eui64.of(p);
                boolean add = command.messageCode() == TrustCommands.WHITELIST_ADD;
                trust.whitelist(id, add);
                return (add ? "whitelisted " : "removed from whitelist ") + id;
            }
            case TrustCommands.INSTALL_HUB_CERTIFICATE -> {
                Certificates.Info cert = Certificates.parse(p);
                trust.validate(cert, now);
                keys.install(cert);
                return "installed hub " + cert.keyUse().orElseThrow() + " certificate " + cert.fingerprint().substring(0, 16);
            }
            default -> throw new SecurityCheckException(Reason.MALFORMED, "not a trust command");
        }
    }
}
