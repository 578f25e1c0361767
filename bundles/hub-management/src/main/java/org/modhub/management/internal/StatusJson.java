package org.modhub.management.internal;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventLog;
import org.modhub.api.event.EventQuery;
import org.modhub.api.event.HubEvent;
import org.modhub.api.gas.GasProxy;
import org.modhub.api.gas.MirrorRead;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceType;
import org.modhub.api.han.HanDevice;
import org.modhub.api.han.HanNetwork;
import org.modhub.api.health.HealthState;
import org.modhub.api.health.HubHealth;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.ReadingQuery;
import org.modhub.api.wan.LinkStatus;
import org.modhub.api.wan.WanLink;
import org.osgi.framework.Bundle;

/**
 * The body of {@code GET /api/status}: everything the status page shows. Each section is built from
 * whichever services are there; a missing service gives an empty section, never an error.
 *
 * <pre>
 * {"time":..., "health":{"state","readyMs"}, "han":[{"id","type","technology","sleepy","lastContact","network"}],
 *  "wan":[{"technology","state","reason","since","signalDbm"}], "bundles":[{"id","name","version","state"}],
 *  "gas":[{"meter","capturedAt","ageSeconds","stale","volumeM3","todayEnergyWh","todayCostMinor",
 *          "daily":[{"at","volumeM3"}]}],   (daily: the mirror's daily read log, newest first)
 *  "events":[{"time","kind","code","severity","source","detail"}],
 *  "chart":{"meter","measurand","unit","samples":[{"end","value"}]}}
 * </pre>
 */
final class StatusJson {
    static final int EVENTS = 20;
    static final int CHART_SAMPLES = 48;
    static final Duration HALF_HOUR = Duration.ofMinutes(30);

    record Wan(String technology, LinkStatus status, Integer signalDbm) {
        static Wan of(WanLink link, Object signal) {
            Integer dbm = signal instanceof Number n ? n.intValue() : null;
            if (dbm == null) {
                var p = link.properties();
                dbm = p != null && p.signalDbm().isPresent() ? p.signalDbm().getAsInt() : null;
            }
            return new Wan(link.technology(), link.status(), dbm);
        }
    }

    private final HubHealth health;
    private final DeviceLog deviceLog;
    private final Collection<HanNetwork> hans;
    private final List<Wan> wans;
    private final GasProxy gas;
    private final MeteringStore metering;
    private final EventLog events;
    private final Bundle[] bundles;
    private Eui64 chartMeter;

    StatusJson(HubHealth health, DeviceLog deviceLog, Collection<HanNetwork> hans, List<Wan> wans, GasProxy gas,
            MeteringStore metering, EventLog events, Bundle[] bundles) {
        this.health = health;
        this.deviceLog = deviceLog;
        this.hans = hans;
        this.wans = wans;
        this.gas = gas;
        this.metering = metering;
        this.events = events;
        this.bundles = bundles;
    }

    /** The meter whose half-hourly readings the chart shows (null: the first electricity meter, else gas meter). */
    StatusJson chartMeter(Eui64 meter) {
        this.chartMeter = meter;
        return this;
    }

    String render(Instant now) {
        StringBuilder sb = new StringBuilder(4096);
        sb.append("{\"time\":");
        Json.string(sb, now.toString());
        sb.append(",\"health\":{\"state\":");
        HealthState state = health == null ? HealthState.STARTING : health.overall();
        Json.string(sb, (state == null ? HealthState.STARTING : state).name());
        sb.append(",\"readyMs\":");
        Optional<Duration> ready = health == null ? Optional.empty() : health.readyAfter();
        sb.append(ready.isPresent() ? Long.toString(ready.get().toMillis()) : "null");
        sb.append("},\"han\":");
        han(sb);
        sb.append(",\"wan\":");
        wan(sb);
        sb.append(",\"bundles\":");
        bundles(sb);
        sb.append(",\"gas\":");
        gas(sb, now);
        sb.append(",\"events\":");
        events(sb);
        sb.append(",\"chart\":");
        chart(sb, now);
        return sb.append('}').toString();
    }

    /** Devices of the device log, with what their HAN network knows (last contact), plus any network device not in the log. */
    private void han(StringBuilder sb) {
        Map<Eui64, HanDevice> onNetwork = new HashMap<>();
        Map<Eui64, String> networkState = new HashMap<>();
        for (HanNetwork n : hans) {
            try {
                for (HanDevice d : n.devices()) {
                    onNetwork.put(d.id(), d);
                    networkState.put(d.id(), n.technology() + " " + n.state());
                }
            } catch (RuntimeException e) {
                // a network that fails to list its devices shows none
            }
        }
        List<DeviceLogEntry> entries = deviceLog == null ? List.of() : deviceLog.entries();
        sb.append('[');
        boolean first = true;
        List<Eui64> listed = new ArrayList<>();
        for (DeviceLogEntry e : entries) {
            first = device(sb, first, e.device(), e.type(), onNetwork.get(e.device()), networkState.get(e.device()));
            listed.add(e.device());
        }
        for (HanDevice d : onNetwork.values()) {
            if (!listed.contains(d.id())) {
                first = device(sb, first, d.id(), d.type(), d, networkState.get(d.id()));
            }
        }
        sb.append(']');
    }

    private static boolean device(StringBuilder sb, boolean first, Eui64 id, DeviceType type, HanDevice d, String network) {
        if (!first) {
            sb.append(',');
        }
        sb.append("{\"id\":");
        Json.string(sb, id.toString());
        sb.append(",\"type\":");
        Json.string(sb, type.gbcsName());
        sb.append(",\"technology\":");
        Json.string(sb, d == null ? "" : d.technology());
        sb.append(",\"sleepy\":").append(d != null && d.isSleepy());
        sb.append(",\"lastContact\":");
        Optional<Instant> last = d == null ? Optional.empty() : d.lastContact();
        if (last.isPresent()) {
            Json.string(sb, last.get().toString());
        } else {
            sb.append("null");
        }
        sb.append(",\"network\":");
        Json.string(sb, network == null ? "not on a network" : network);
        sb.append('}');
        return false;
    }

    private void wan(StringBuilder sb) {
        sb.append('[');
        boolean first = true;
        for (Wan w : wans) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            sb.append("{\"technology\":");
            Json.string(sb, w.technology());
            sb.append(",\"state\":");
            Json.string(sb, w.status().state().name());
            sb.append(",\"reason\":");
            Json.string(sb, w.status().reason());
            sb.append(",\"since\":");
            Json.string(sb, w.status().since().toString());
            sb.append(",\"signalDbm\":").append(w.signalDbm() == null ? "null" : w.signalDbm().toString());
            sb.append('}');
        }
        sb.append(']');
    }

    private void bundles(StringBuilder sb) {
        sb.append('[');
        if (bundles != null) {
            boolean first = true;
            for (Bundle b : bundles) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                sb.append("{\"id\":").append(b.getBundleId()).append(",\"name\":");
                Json.string(sb, b.getSymbolicName());
                sb.append(",\"version\":");
                Json.string(sb, b.getVersion().toString());
                sb.append(",\"state\":");
                Json.string(sb, state(b.getState()));
                sb.append('}');
            }
        }
        sb.append(']');
    }

    static String state(int s) {
        return switch (s) {
            case Bundle.ACTIVE -> "ACTIVE";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.UNINSTALLED -> "UNINSTALLED";
            default -> "UNKNOWN";
        };
    }

    private void gas(StringBuilder sb, Instant now) {
        sb.append('[');
        if (gas != null && deviceLog != null) {
            boolean first = true;
            for (DeviceLogEntry e : deviceLog.entries()) {
                if (e.type() != DeviceType.GAS_METER) {
                    continue;
                }
                Optional<MirrorRead> r;
                try {
                    r = gas.read(e.device());
                } catch (RuntimeException ex) {
                    r = Optional.empty();
                }
                if (!first) {
                    sb.append(',');
                }
                first = false;
                sb.append("{\"meter\":");
                Json.string(sb, e.device().toString());
                if (r.isPresent()) {
                    MirrorRead m = r.get();
                    sb.append(",\"capturedAt\":");
                    Json.string(sb, m.capturedAt().toString());
                    sb.append(",\"ageSeconds\":").append(Math.max(0, Duration.between(m.capturedAt(), now).getSeconds()));
                    sb.append(",\"stale\":").append(m.stale());
                    sb.append(",\"volumeM3\":").append(m.volumeM3().toPlainString());
                    sb.append(",\"todayEnergyWh\":").append(m.todayEnergyWh());
                    sb.append(",\"todayCostMinor\":").append(m.todayCostMinor());
                    sb.append(",\"daily\":[");
                    List<org.modhub.api.metering.Reading> daily;
                    try {
                        daily = gas.dailyReads(e.device());
                    } catch (RuntimeException ex) {
                        daily = List.of();
                    }
                    for (int i = 0; i < daily.size(); i++) {
                        if (i > 0) {
                            sb.append(',');
                        }
                        sb.append("{\"at\":");
                        Json.string(sb, daily.get(i).instant().toString());
                        sb.append(",\"volumeM3\":").append(daily.get(i).value().stripTrailingZeros().toPlainString()).append('}');
                    }
                    sb.append(']');
                } else {
                    sb.append(",\"capturedAt\":null");
                }
                sb.append('}');
            }
        }
        sb.append(']');
    }

    private void events(StringBuilder sb) {
        sb.append('[');
        if (events != null) {
            boolean first = true;
            for (HubEvent e : events.query(EventQuery.latest(EVENTS))) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                sb.append("{\"time\":");
                Json.string(sb, e.time().toString());
                sb.append(",\"kind\":");
                Json.string(sb, e.kind().name());
                sb.append(",\"code\":");
                Json.string(sb, e.code());
                sb.append(",\"severity\":");
                Json.string(sb, e.severity().name());
                sb.append(",\"source\":");
                Json.string(sb, e.source());
                sb.append(",\"detail\":");
                Json.string(sb, e.detail());
                sb.append('}');
            }
        }
        sb.append(']');
    }

    /**
     * The last 48 half-hourly readings of the first electricity meter of the device log (else of the
     * first gas meter): interval consumption, oldest first.
     */
    private void chart(StringBuilder sb, Instant now) {
        Eui64 meter = null;
        boolean isGas = false;
        if (chartMeter != null && deviceLog != null) {
            var entry = deviceLog.find(chartMeter);
            if (entry.isPresent()) {
                meter = chartMeter;
                isGas = entry.get().type() == DeviceType.GAS_METER;
            }
        } else if (deviceLog != null) {
            for (DeviceLogEntry e : deviceLog.entries()) {
                if (e.type() == DeviceType.ELECTRICITY_METER) {
                    meter = e.device();
                    isGas = false;
                    break;
                }
                if (e.type() == DeviceType.GAS_METER && meter == null) {
                    meter = e.device();
                    isGas = true;
                }
            }
        }
        List<ProfileSample> samples = List.of();
        if (meter != null && metering != null) {
            var measurand = isGas ? Measurands.GAS_VOLUME : Measurands.ACTIVE_ENERGY_IMPORT;
            // 13 months may be stored: ask for the last few days only, then keep the newest 48
            List<ProfileSample> recent = metering.profile(new ReadingQuery(meter, measurand,
                    now.minus(Duration.ofDays(7)), now.plus(HALF_HOUR), 7 * 48 + 2));
            samples = recent.stream().filter(s -> s.interval().equals(HALF_HOUR))
                    .sorted(Comparator.comparing(ProfileSample::intervalEnd)).toList();
            if (samples.size() > CHART_SAMPLES) {
                samples = samples.subList(samples.size() - CHART_SAMPLES, samples.size());
            }
        }
        sb.append("{\"meter\":");
        if (meter == null) {
            sb.append("null");
        } else {
            Json.string(sb, meter.toString());
        }
        sb.append(",\"unit\":");
        Json.string(sb, samples.isEmpty() ? "" : samples.get(0).unit().name());
        sb.append(",\"samples\":[");
        for (int i = 0; i < samples.size(); i++) {
            ProfileSample s = samples.get(i);
            if (i > 0) {
                sb.append(',');
            }
            sb.append("{\"end\":");
            Json.string(sb, s.intervalEnd().toString());
            BigDecimal v = s.value();
            sb.append(",\"value\":").append(v.stripTrailingZeros().toPlainString()).append('}');
        }
        sb.append("]}");
    }
}
