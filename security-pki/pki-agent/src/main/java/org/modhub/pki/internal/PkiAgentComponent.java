package org.modhub.pki.internal;

import java.time.Instant;
import java.util.Hashtable;
import org.modhub.api.event.EventLog;
import org.modhub.api.health.ComponentHealth;
import org.modhub.api.health.HealthContributor;
import org.modhub.api.messaging.MessageHandler;
import org.modhub.api.messaging.Outbox;
import org.modhub.api.security.CommandVerifier;
import org.modhub.api.security.MessageSigner;
import org.modhub.api.security.PackageVerifier;
import org.modhub.api.security.PayloadCipher;
import org.modhub.api.security.TrustCommands;
import org.modhub.api.security.TrustStore;
import org.modhub.api.store.StateStore;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.Designate;

/**
 * Starts the {@link PkiAgent} on its own thread and registers its services (command verifier,
 * message signer, payload cipher, package verifier, trust store, trust-command handler) once the
 * key store is open, so Bouncy Castle's start, the key store unlock and first-boot key generation
 * (~0.4 s here) overlap the rest of the hub's start instead of holding it up. Until then the router
 * has no verifier and refuses critical commands. A refused configuration or key store is logged with
 * the PID and the field, registers no security service, and shows as DEGRADED in the hub's health.
 */
@Component(immediate = true, configurationPid = PkiAgent.PID, service = HealthContributor.class)
@Designate(ocd = PkiAgent.Config.class)
public class PkiAgentComponent implements HealthContributor {
    static final String NAME = "org.modhub.pki";

    private final BundleContext context;
    private final Thread starter;
    private volatile String state = "opening the key store";
    private volatile boolean up;
    private volatile boolean refused;
    private ServiceRegistration<?> registration;
    private volatile PkiAgent agent;
    private volatile boolean closing;

    @Activate
    public PkiAgentComponent(@Reference StateStore store, @Reference Outbox outbox, @Reference EventLog events,
            @Reference(service = LoggerFactory.class) Logger log, BundleContext context, PkiAgent.Config config) {
        this.context = context;
        this.starter = new Thread(() -> start(store, outbox, events, log, config), "modhub-pki-start");
        starter.setDaemon(true);
        starter.start();
    }

    /** One agent at a time opens the key store (a reconfigured component starts a new one). */
    private static final Object KEY_STORE_LOCK = new Object();

    private void start(StateStore store, Outbox outbox, EventLog events, Logger log, PkiAgent.Config config) {
        PkiAgent agent;
        try {
            synchronized (KEY_STORE_LOCK) {
                if (closing) {
                    return;
                }
                agent = new PkiAgent(store, events, log, config, PkiAgent.dataDir(context),
                        context.getProperty("modhub.hub.id"), System.getenv(), HubKeys.drbg(), Instant::now,
                        context::getProperty);
                // the counters go into the outbox's commits, with the responses (one fsync for both)
                try {
                    agent.commitCountersWith(outbox);
                } catch (UnsupportedOperationException e) {
                    log.warn("{}: the outbox keeps no state rows; originator counters stay in the state store "
                            + "(a commit of their own)", PkiAgent.PID);
                }
            }
        } catch (RuntimeException e) {
            state = "refused: " + e.getMessage();
            refused = true;
            return;
        }
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(MessageHandler.MESSAGE_CODES, new Integer[] {TrustCommands.REPLACE_TRUST_ANCHOR,
            TrustCommands.INSTALL_PARTY_CERTIFICATE, TrustCommands.REVOKE_CERTIFICATE, TrustCommands.WHITELIST_ADD,
            TrustCommands.WHITELIST_REMOVE, TrustCommands.INSTALL_HUB_CERTIFICATE});
        // registered without holding a lock: service events run other components' code synchronously
        ServiceRegistration<?> reg;
        try {
            reg = context.registerService(new String[] {CommandVerifier.class.getName(),
                MessageSigner.class.getName(), PayloadCipher.class.getName(), PackageVerifier.class.getName(),
                TrustStore.class.getName(), MessageHandler.class.getName()}, agent, props);
        } catch (IllegalStateException bundleStopping) {
            return;
        }
        boolean keep;
        synchronized (this) {
            keep = !closing;
            if (keep) {
                registration = reg;
            }
        }
        if (keep) {
            this.agent = agent;
            up = true;
        } else {
            unregister(reg);
            agent.close();
        }
    }

    /**
     * Does not wait for the starter: deactivation runs on the configuration or bundle thread, and the
     * starter's service registration may need that thread. A starter that finishes later sees
     * {@code closing} and withdraws what it registered.
     */
    @Deactivate
    void deactivate() {
        ServiceRegistration<?> reg;
        synchronized (this) {
            closing = true;
            reg = registration;
            registration = null;
        }
        unregister(reg);
        PkiAgent a = agent;
        if (a != null) {
            a.close();
        }
    }

    private static void unregister(ServiceRegistration<?> reg) {
        if (reg != null) {
            try {
                reg.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the framework is stopping
            }
        }
    }

    @Override
    public ComponentHealth health() {
        if (up) {
            return ComponentHealth.up(NAME);
        }
        return refused ? ComponentHealth.degraded(NAME, state)
                : new ComponentHealth(NAME, org.modhub.api.health.HealthState.STARTING, state);
    }
}
