package org.modhub.mbus.link.internal;

import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.HubEvent;
import org.modhub.api.event.Severity;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceType;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * {@code mbus:enroll <EUI-64> <device type> <key id>}: puts a meter in the device log with the id of its
 * AES key in the hub's device keys ({@code keys:put <key id> mbus <32 hex digits>}); an audit event says
 * so.
 */
@Component(service = MbusShell.class, property = {"osgi.command.scope=mbus", "osgi.command.function=enroll"})
public class MbusShell {
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile EventLog eventLog;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile DeviceLog deviceLog;

    public String enroll(String eui, String type, String keyId) throws Exception {
        DeviceLog log = deviceLog;
        if (log == null) {
            return "no device log";
        }
        Eui64 device;
        try {
            device = Eui64.parse(eui);
            org.modhub.api.keys.DeviceKeys.checkKeyId(keyId);
            log.add(DeviceLogEntry.withKeyReference(device, DeviceType.parse(type), keyId));
        } catch (IllegalArgumentException e) {
            return "refused: " + e.getMessage();
        }
        EventLog events = eventLog;
        if (events != null) {
            events.log(HubEvent.of(EventKind.AUDIT, "MBUS_DEVICE_ENROLLED", Severity.INFO, device, MeterSink.SOURCE,
                    device + " (" + type + ", key id '" + keyId + "') added to the device log"));
        }
        return "enrolled " + device;
    }
}
