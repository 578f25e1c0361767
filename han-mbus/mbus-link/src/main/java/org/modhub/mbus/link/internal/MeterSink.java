package org.modhub.mbus.link.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.crypto.SecretKey;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.HubEvent;
import org.modhub.api.event.Severity;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceType;
import org.modhub.api.keys.DeviceKeyException;
import org.modhub.api.keys.DeviceKeys;
import org.modhub.api.keys.KeyType;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.store.StateStore;
import org.modhub.mbus.link.internal.MbusDecodeException.Reason;
import org.openmuc.jmbus.SecondaryAddress;

/**
 * Where decoded telegrams go, for wired and wireless M-Bus alike: the device log decides whether the
 * device is one of the hub's (others are refused with an audit event), the hub's {@link DeviceKeys} give its key,
 * the records become readings in the {@link MeteringStore}, and every refusal is an event.
 */
final class MeterSink {
    static final String SOURCE = "mbus-link";

    private final String technology;
    private final DeviceLog deviceLog;
    private final MeteringStore metering;
    private final Supplier<EventLog> events;
    private final Supplier<DeviceKeys> keys;
    private final Map<Eui64, MbusDevice> devices = new ConcurrentHashMap<>();
    private final StateStore state;
    static final String COUNTERS = "org.modhub.mbus.counters";

    MeterSink(String technology, DeviceLog deviceLog, MeteringStore metering, StateStore state, Supplier<EventLog> events,
            Supplier<DeviceKeys> keys) {
        this.technology = technology;
        this.state = state;
        this.deviceLog = deviceLog;
        this.metering = metering;
        this.events = events;
        this.keys = keys;
    }

    /** The key lookup for the decoder: device log key reference, then the key store. */
    Function<SecondaryAddress, Optional<byte[]>> keyLookup() {
        return address -> {
            Eui64 eui = Telegrams.eui(address);
            Optional<String> ref = deviceLog.find(eui).flatMap(DeviceLogEntry::keyReference);
            if (ref.isEmpty()) {
                return Optional.empty();
            }
            DeviceKeys k = keys.get();
            if (k == null) {
                event(EventKind.AUDIT, "MBUS_KEYS_UNAVAILABLE", Severity.WARNING, eui,
                        "no device key service: key '" + ref.get() + "' cannot be looked up");
                return Optional.empty();
            }
            try {
                return k.key(ref.get(), KeyType.MBUS_AES128).map(SecretKey::getEncoded);
            } catch (DeviceKeyException e) {
                event(EventKind.AUDIT, "MBUS_KEY_STORE_REFUSED", Severity.ERROR, eui, e.getMessage());
                return Optional.empty();
            } catch (RuntimeException e) {
                event(EventKind.AUDIT, "MBUS_KEY_STORE_REFUSED", Severity.ERROR, eui, String.valueOf(e.getMessage()));
                return Optional.empty();
            }
        };
    }

    /**
     * Takes one decoded telegram.
     *
     * @return the number of readings stored
     * @throws MbusDecodeException with reason {@code MALFORMED} never; unknown devices are refused here
     *         with an event and 0 is returned
     */
    int accept(Telegram t, Instant at) {
        Optional<DeviceLogEntry> entry = deviceLog.find(t.device());
        if (entry.isEmpty()) {
            event(EventKind.AUDIT, "MBUS_UNKNOWN_DEVICE", Severity.WARNING, t.device(),
                    Telegrams.name(t.address()) + " is not in the device log: telegram dropped");
            return 0;
        }
        String counterKey = "mcr/" + t.device().toHex();
        if (t.counter() >= 0) {
            long last = state.get(COUNTERS, counterKey).map(b -> Long.parseLong(new String(b, java.nio.charset.StandardCharsets.US_ASCII)))
                    .orElse(-1L);
            if (t.counter() <= last) {
                refused(new MbusDecodeException(Reason.REPLAYED, Telegrams.name(t.address()) + ": message counter " + t.counter()
                        + " not above the last accepted " + last), t.device());
                return 0;
            }
        }
        RecordMapper.Mapping m = RecordMapper.map(t, at);
        Set<Reason> reasons = new LinkedHashSet<>();
        List<String> details = new ArrayList<>();
        for (MbusDecodeException e : m.refused()) {
            if (reasons.add(e.reason())) {
                details.add(e.getMessage());
            }
        }
        int i = 0;
        for (Reason r : reasons) {
            event(EventKind.EVENT, "MBUS_" + r.name(), Severity.WARNING, t.device(), details.get(i++)
                    + " (" + m.refused().stream().filter(e -> e.reason() == r).count() + " record(s) refused, the rest kept)");
        }
        if (!m.readings().isEmpty()) {
            metering.record(m.readings());
        }
        if (t.counter() >= 0) {
            state.put(COUNTERS, counterKey, Long.toString(t.counter()).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        DeviceType type = entry.get().type();
        devices.put(t.device(), new MbusDevice(t.device(), type, technology, Optional.of(at)));
        return m.readings().size();
    }

    /** A refused telegram: one event, the link goes on. */
    void refused(MbusDecodeException e, Eui64 device) {
        EventKind kind = e.reason() == Reason.WRONG_KEY || e.reason() == Reason.NO_KEY || e.reason() == Reason.REPLAYED
                ? EventKind.AUDIT : EventKind.EVENT;
        event(kind, e.eventCode(), Severity.WARNING, device, e.getMessage());
    }

    void event(EventKind kind, String code, Severity severity, Eui64 device, String detail) {
        EventLog log = events.get();
        if (log != null) {
            log.log(HubEvent.of(kind, code, severity, device, SOURCE, detail));
        }
    }

    List<MbusDevice> devices() {
        return List.copyOf(devices.values());
    }

    Optional<MbusDevice> device(Eui64 id) {
        return Optional.ofNullable(devices.get(id));
    }
}
