package org.modhub.mesh.link.internal;

import java.io.IOException;
import java.util.Dictionary;
import java.util.Hashtable;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.HubEvent;
import org.modhub.api.event.Severity;
import org.modhub.api.wan.HeadEndSession;
import org.modhub.api.wan.LinkStatus;
import org.modhub.api.wan.WanLink;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The RF-mesh WAN link as a component: registers the {@link MeshLink} as {@link WanLink} and
 * {@link HeadEndSession} (technology {@value MeshLink#TECHNOLOGY_NAME}) from {@code @Activate}, so a
 * state change updates {@value WanLink#STATE} on the same registration (a service-modified event, not
 * an unregister/register). Requires a configuration: without a gateway and a key there is no link.
 */
@Component(configurationPid = MeshLinkComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        immediate = true, service = {})
@Designate(ocd = MeshConfig.class)
public final class MeshLinkComponent {
    static final String PID = "org.modhub.wan.mesh";
    static final String SOURCE = "wan-mesh";

    @Reference(service = LoggerFactory.class)
    private Logger log;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile EventLog events;

    private MeshLink link;
    private MeshSettings settings;
    private volatile ServiceRegistration<?> registration;

    @Activate
    void activate(MeshConfig config, BundleContext context) throws IOException {
        try {
            settings = MeshSettings.from(config, PID);
        } catch (IllegalArgumentException e) {
            log.error(e.getMessage());
            throw e;
        }
        link = new MeshLink(settings, new OsgiMeshLog(), this::stateChanged);
        registration = context.registerService(new String[] {WanLink.class.getName(), HeadEndSession.class.getName()},
                link, properties(link.status()));
        link.start();
    }

    @Deactivate
    void deactivate() {
        ServiceRegistration<?> reg = registration;
        registration = null;
        if (reg != null) {
            try {
                reg.unregister();
            } catch (IllegalStateException e) {
                // already gone
            }
        }
        link.stop();
    }

    private Dictionary<String, Object> properties(LinkStatus status) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(WanLink.TECHNOLOGY, MeshLink.TECHNOLOGY_NAME);
        p.put(WanLink.STATE, status.state().name());
        p.put(HeadEndSession.PREFERENCE, settings.preference());
        p.put(Constants.SERVICE_DESCRIPTION, "modhub RF-mesh WAN link (CoAP/DTLS to " + settings.gatewayUri() + ")");
        return p;
    }

    private void stateChanged(LinkStatus status) {
        ServiceRegistration<?> reg = registration;
        if (reg != null) {
            try {
                reg.setProperties(properties(status));
            } catch (IllegalStateException e) {
                // unregistered concurrently
            }
        }
    }

    private final class OsgiMeshLog implements MeshLog {
        @Override
        public void debug(String message) {
            log.debug(message);
        }

        @Override
        public void info(String message) {
            log.info(message);
        }

        @Override
        public void warn(String message) {
            log.warn(message);
        }

        @Override
        public void event(Severity severity, String code, String detail) {
            EventLog e = events;
            if (e != null) {
                try {
                    e.log(HubEvent.of(EventKind.EVENT, code, severity, null, SOURCE, detail));
                } catch (RuntimeException ex) {
                    log.warn("cannot log event {}: {}", code, ex.getMessage());
                }
            }
        }
    }
}
