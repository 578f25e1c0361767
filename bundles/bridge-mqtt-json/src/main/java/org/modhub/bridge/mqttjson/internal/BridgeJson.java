package org.modhub.bridge.mqttjson.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.modhub.api.bridge.BridgeMeter;
import org.modhub.api.common.Eui64;
import org.modhub.api.gas.MirrorRead;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.ReadingFlag;

/** The bridge's JSON shapes (hand-written: a few fixed shapes, no library). */
final class BridgeJson {
    private BridgeJson() {
    }

    static String meters(List<BridgeMeter> meters) {
        StringBuilder sb = new StringBuilder("{\"meters\":[");
        for (int i = 0; i < meters.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append("{\"id\":");
            str(sb, meters.get(i).id().toHex());
            sb.append(",\"kind\":");
            str(sb, meters.get(i).gas() ? "gas" : "electricity");
            sb.append('}');
        }
        return sb.append("]}").toString();
    }

    /** {"meter":"000D6F0000000011","readings":[{"obis":"1.0.1.8.0.255","time":"...","value":"1234.567","unit":"WATT_HOUR","valid":true}]} */
    static String readings(Eui64 meter, List<Reading> readings) {
        StringBuilder sb = new StringBuilder(64 + readings.size() * 96);
        sb.append("{\"meter\":");
        str(sb, meter.toHex());
        sb.append(",\"readings\":[");
        for (int i = 0; i < readings.size(); i++) {
            Reading r = readings.get(i);
            if (i > 0) {
                sb.append(',');
            }
            sb.append("{\"obis\":");
            str(sb, r.measurand().toString());
            sb.append(",\"time\":");
            str(sb, r.instant().toString());
            sb.append(",\"value\":").append(r.value().stripTrailingZeros().toPlainString());
            sb.append(",\"unit\":");
            str(sb, r.unit().name());
            sb.append(",\"valid\":").append(r.isValid());
            sb.append('}');
        }
        return sb.append("]}").toString();
    }

    /** {"meter":...,"samples":[{"end":"...","value":0.25,"unit":"WATT_HOUR","flags":[]}]} */
    static String samples(Eui64 meter, List<ProfileSample> samples) {
        StringBuilder sb = new StringBuilder(64 + samples.size() * 80);
        sb.append("{\"meter\":");
        str(sb, meter.toHex());
        sb.append(",\"intervalSeconds\":1800,\"samples\":[");
        for (int i = 0; i < samples.size(); i++) {
            ProfileSample s = samples.get(i);
            if (i > 0) {
                sb.append(',');
            }
            sb.append("{\"end\":");
            str(sb, s.intervalEnd().toString());
            sb.append(",\"value\":").append(s.value().stripTrailingZeros().toPlainString());
            sb.append(",\"unit\":");
            str(sb, s.unit().name());
            sb.append(",\"flags\":[");
            int j = 0;
            for (ReadingFlag f : s.flags()) {
                if (j++ > 0) {
                    sb.append(',');
                }
                str(sb, f.name());
            }
            sb.append("]}");
        }
        return sb.append("]}").toString();
    }

    /** {"meter":...,"capturedAt":...,"ageSeconds":n,"stale":b,"volumeM3":v,"todayEnergyWh":n,"todayCostMinor":n}; capturedAt null if none */
    static String mirror(Eui64 meter, Optional<MirrorRead> read, Instant now) {
        StringBuilder sb = new StringBuilder(160);
        sb.append("{\"meter\":");
        str(sb, meter.toHex());
        if (read.isEmpty()) {
            return sb.append(",\"capturedAt\":null}").toString();
        }
        MirrorRead m = read.get();
        sb.append(",\"capturedAt\":");
        str(sb, m.capturedAt().toString());
        sb.append(",\"ageSeconds\":").append(Math.max(0, Duration.between(m.capturedAt(), now).getSeconds()));
        sb.append(",\"stale\":").append(m.stale());
        sb.append(",\"volumeM3\":").append(m.volumeM3().stripTrailingZeros().toPlainString());
        sb.append(",\"todayEnergyWh\":").append(m.todayEnergyWh());
        sb.append(",\"todayCostMinor\":").append(m.todayCostMinor());
        return sb.append('}').toString();
    }

    static String error(int status, String reason, String message) {
        StringBuilder sb = new StringBuilder(96);
        sb.append("{\"status\":").append(status).append(",\"reason\":");
        str(sb, reason);
        sb.append(",\"error\":");
        str(sb, message);
        return sb.append('}').toString();
    }

    static StringBuilder str(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029' || Character.isSurrogate(c)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"');
    }
}
