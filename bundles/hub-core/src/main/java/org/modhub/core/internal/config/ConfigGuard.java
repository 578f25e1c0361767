package org.modhub.core.internal.config;

import java.lang.reflect.Array;
import java.util.Arrays;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.concurrent.ConcurrentHashMap;
import org.modhub.api.health.ComponentHealth;
import org.modhub.api.health.HealthContributor;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationEvent;
import org.osgi.service.cm.ConfigurationListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;

/**
 * Checks configuration against the metatype its bundle declares (types, ranges, options), for every
 * bundle's PIDs. A malformed value is logged with the PID and the field, and reported through the
 * hub's health as DEGRADED. hub-core's own components also call {@link #check} on activation, so
 * they refuse to activate on a malformed value instead of running with it.
 */
@Component(service = {ConfigGuard.class, ConfigurationListener.class, HealthContributor.class}, immediate = true)
public class ConfigGuard implements ConfigurationListener, HealthContributor {
    static final String NAME = "org.modhub.core.config";

    private final BundleContext context;
    private final Logger log;
    private final Map<String, String> problems = new ConcurrentHashMap<>();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile MetaTypeService metaType;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ConfigurationAdmin configAdmin;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ServiceComponentRuntime scr;

    @Activate
    public ConfigGuard(BundleContext context, @Reference(service = LoggerFactory.class) Logger log) {
        this.context = context;
        this.log = log;
    }

    /** Validates all existing configurations; called once the services are bound. */
    @Activate
    void scanExisting() {
        ConfigurationAdmin cm = configAdmin;
        if (cm == null) {
            return;
        }
        try {
            Configuration[] all = cm.listConfigurations(null);
            if (all != null) {
                for (Configuration c : all) {
                    review(c.getPid(), c.getFactoryPid(), toMap(c.getProperties()));
                }
            }
        } catch (Exception e) {
            log.warn("cannot list configurations: {}", e.getMessage());
        }
    }

    /**
     * Validates a component's configuration against the metatype of the bundle that owns
     * {@code owner}.
     *
     * @throws IllegalArgumentException naming the PID and the field of the first malformed value
     */
    public void check(Class<?> owner, String pid, Map<String, ?> properties) {
        if (properties == null || !properties.containsKey(Constants.SERVICE_PID)) {
            // no configuration object: the component runs on its annotation defaults, which cannot
            // be malformed; skipping here keeps the MetaType documents unparsed on a first boot
            problems.remove(pid);
            return;
        }
        Optional<String> problem = validate(FrameworkUtil.getBundle(owner), pid, null, properties);
        if (problem.isPresent()) {
            problems.put(pid, problem.get());
            log.error(problem.get());
            throw new IllegalArgumentException(problem.get());
        }
        problems.remove(pid);
    }

    /** For components that check cross-field rules themselves. */
    public void refuse(String pid, String field, String why) {
        String msg = "configuration " + pid + ": field '" + field + "': " + why;
        problems.put(pid, msg);
        log.error(msg);
        throw new IllegalArgumentException(msg);
    }

    @Override
    public void configurationEvent(ConfigurationEvent event) {
        if (event.getType() == ConfigurationEvent.CM_DELETED) {
            problems.remove(event.getPid());
            retryFailed(event.getPid());
            return;
        }
        if (event.getType() != ConfigurationEvent.CM_UPDATED) {
            return;
        }
        ConfigurationAdmin cm = configAdmin;
        if (cm == null) {
            return;
        }
        try {
            Configuration[] found = cm.listConfigurations("(service.pid=" + event.getPid() + ")");
            if (found != null && found.length == 1) {
                review(event.getPid(), event.getFactoryPid(), toMap(found[0].getProperties()));
            }
            if (!problems.containsKey(event.getPid())) {
                retryFailed(event.getPid());
            }
        } catch (Exception e) {
            log.warn("cannot read configuration {}: {}", event.getPid(), e.getMessage());
        }
    }

    /**
     * Declarative Services does not retry a component whose activation failed when its
     * configuration changes; once the configuration is valid again, restart such components so a
     * corrected value takes effect without restarting the bundle.
     */
    private void retryFailed(String pid) {
        ServiceComponentRuntime runtime = scr;
        if (runtime == null) {
            return;
        }
        for (ComponentDescriptionDTO d : runtime.getComponentDescriptionDTOs()) {
            if (d.configurationPid == null || !Arrays.asList(d.configurationPid).contains(pid)) {
                continue;
            }
            boolean failed = runtime.getComponentConfigurationDTOs(d).stream()
                    .anyMatch(c -> c.state == ComponentConfigurationDTO.FAILED_ACTIVATION);
            if (failed) {
                log.info("configuration {} changed: restarting component {} that had failed to activate", pid, d.name);
                runtime.disableComponent(d).onResolve(() -> runtime.enableComponent(d));
            }
        }
    }

    private void review(String pid, String factoryPid, Map<String, Object> properties) {
        for (Bundle b : context.getBundles()) {
            Optional<String> problem = validate(b, pid, factoryPid, properties);
            if (problem.isPresent()) {
                if (!problem.get().equals(problems.put(pid, problem.get()))) {
                    log.error(problem.get());
                }
                return;
            }
        }
        problems.remove(pid);
    }

    private Optional<String> validate(Bundle bundle, String pid, String factoryPid, Map<String, ?> properties) {
        MetaTypeService mts = metaType;
        if (mts == null || bundle == null || properties == null) {
            return Optional.empty();
        }
        MetaTypeInformation info = mts.getMetaTypeInformation(bundle);
        if (info == null) {
            return Optional.empty();
        }
        String ocdPid = factoryPid != null && contains(info.getFactoryPids(), factoryPid) ? factoryPid : pid;
        if (!contains(info.getPids(), ocdPid) && !contains(info.getFactoryPids(), ocdPid)) {
            return Optional.empty();
        }
        ObjectClassDefinition ocd;
        try {
            ocd = info.getObjectClassDefinition(ocdPid, null);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        AttributeDefinition[] ads = ocd.getAttributeDefinitions(ObjectClassDefinition.ALL);
        if (ads == null) {
            return Optional.empty();
        }
        for (AttributeDefinition ad : ads) {
            Object value = properties.get(ad.getID());
            if (value == null) {
                continue;
            }
            String text = asText(value);
            String result = ad.validate(text);
            if (result != null && !result.isEmpty()) {
                return Optional.of("configuration " + pid + ": field '" + ad.getID() + "': value '" + text
                        + "' refused: " + result);
            }
        }
        return Optional.empty();
    }

    private static boolean contains(String[] values, String v) {
        if (values == null) {
            return false;
        }
        for (String s : values) {
            if (s.equals(v)) {
                return true;
            }
        }
        return false;
    }

    private static String asText(Object value) {
        if (value.getClass().isArray()) {
            StringJoiner j = new StringJoiner(",");
            for (int i = 0; i < Array.getLength(value); i++) {
                j.add(escape(String.valueOf(Array.get(value, i))));
            }
            return j.toString();
        }
        if (value instanceof Collection<?> c) {
            StringJoiner j = new StringJoiner(",");
            for (Object o : c) {
                j.add(escape(String.valueOf(o)));
            }
            return j.toString();
        }
        return String.valueOf(value);
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace(",", "\\,");
    }

    private static Map<String, Object> toMap(Dictionary<String, Object> d) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (d != null) {
            for (Enumeration<String> keys = d.keys(); keys.hasMoreElements();) {
                String k = keys.nextElement();
                m.put(k, d.get(k));
            }
        }
        return m;
    }

    @Override
    public ComponentHealth health() {
        if (problems.isEmpty()) {
            return ComponentHealth.up(NAME);
        }
        return ComponentHealth.degraded(NAME, String.join("; ", problems.values()));
    }
}
