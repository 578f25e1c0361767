package org.modhub.bridge.gateway.internal;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.Designate;

/**
 * One occupier consent (factory configuration {@value Consent#PID}), validated at activation: a bad
 * value is refused with one log line naming the PID and the field, and the consent does not apply.
 */
@Component(service = ConsentComponent.class, configurationPid = Consent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = ConsentConfig.class, factory = true)
public class ConsentComponent {
    final Consent consent;

    @Activate
    public ConsentComponent(ConsentConfig config, @Reference(service = LoggerFactory.class) Logger log) {
        try {
            this.consent = Consent.validate(config);
        } catch (Consent.InvalidConsentException e) {
            log.error(e.getMessage());
            throw e;
        }
        log.info("bridge {} granted {} (meters {}, {} reads/min, history {} h)", consent.bridge(),
                consent.granted(), consent.meters().isEmpty() ? "all" : consent.meters(), consent.readsPerMinute(),
                consent.historyWindow().toHours());
    }
}
