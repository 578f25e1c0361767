package org.modhub.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.modhub.api.cloud.KuraDataCodec;
import org.modhub.api.common.Eui64;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.ProfileCodec;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Unit;

/**
 * {@code bench/run wire}: bytes on the wire per reading for a day's 48 half-hourly readings of one
 * meter, sent as one head-end message: the {@link ProfileCodec} body inside the KuraPayload that
 * {@link KuraDataCodec} defines (what the broker receives), beside the same 48 readings as gzip'd
 * compact JSON (an array of objects with device, OBIS code, interval end, value and unit). Also with
 * the MQTT PUBLISH framing (QoS 1, the Kura data topic) on both. Sizes are exact; the figure is the
 * median over {@code RUNS} different days of a synthetic domestic load profile.
 */
public final class WireBench {
    private static final int RUNS = Integer.getInteger("bench.runs", 5);
    static final Eui64 METER = Eui64.parse("00-0D-6F-00-00-00-00-2A");
    static final String TOPIC = "modhub/000D6F0000000001/METER/profile/000D6F000000002A";

    public static void main(String[] args) throws IOException {
        double[] ours = new double[RUNS];
        double[] json = new double[RUNS];
        double[] oursMqtt = new double[RUNS];
        double[] jsonMqtt = new double[RUNS];
        for (int r = 0; r < RUNS; r++) {
            Instant midnight = Instant.parse("2026-11-01T00:00:00Z").plus(Duration.ofDays(r));
            List<ProfileSample> day = day(midnight, 1000 + r);
            byte[] body = ProfileCodec.encode(day);
            if (!decode(body).equals(day)) {
                throw new AssertionError("profile round trip failed");
            }
            byte[] wire = KuraDataCodec.encode("p-" + METER.toHex() + "-" + midnight.getEpochSecond(),
                    midnight.plus(Duration.ofDays(1)), body);
            byte[] peer = gzip(json(day));
            ours[r] = wire.length / 48.0;
            json[r] = peer.length / 48.0;
            oursMqtt[r] = mqttPublish(TOPIC, wire.length) / 48.0;
            jsonMqtt[r] = mqttPublish(TOPIC, peer.length) / 48.0;
            System.err.printf(Locale.ROOT, "day %d: profile body %d B, KuraPayload %d B; JSON %d B, gzip'd %d B%n", r,
                    body.length, wire.length, json(day).length, peer.length);
        }
        figure("wire.bytes_per_reading", median(ours), "json_gzip.bytes_per_reading", median(json));
        figure("wire.mqtt_bytes_per_reading", median(oursMqtt), "json_gzip.mqtt_bytes_per_reading", median(jsonMqtt));
    }

    static List<ProfileSample> decode(byte[] body) {
        try {
            return ProfileCodec.decode(body);
        } catch (org.modhub.api.messaging.MalformedMessageException e) {
            throw new AssertionError("profile does not decode: " + e.getMessage(), e);
        }
    }

    /** A synthetic domestic day: low at night, morning and evening peaks, noise; Wh per half hour. */
    static List<ProfileSample> day(Instant midnight, long seed) {
        Random rnd = new Random(seed);
        List<ProfileSample> out = new ArrayList<>(48);
        for (int i = 1; i <= 48; i++) {
            double hour = (i - 0.5) / 2.0;
            double base = 120 + 60 * rnd.nextGaussian() * 0.3;
            double morning = 350 * Math.exp(-Math.pow((hour - 7.5) / 1.2, 2));
            double evening = 900 * Math.exp(-Math.pow((hour - 18.5) / 2.0, 2));
            long wh = Math.max(20, Math.round(base + morning + evening + rnd.nextGaussian() * 60));
            out.add(new ProfileSample(METER, Measurands.ACTIVE_ENERGY_IMPORT, midnight.plus(Duration.ofMinutes(30L * i)),
                    Duration.ofMinutes(30), wh, 0, Unit.WATT_HOUR, Set.of()));
        }
        return out;
    }

    /** Compact JSON, one object per reading (value in kWh as a decimal). */
    static byte[] json(List<ProfileSample> day) {
        StringBuilder sb = new StringBuilder("[");
        for (ProfileSample s : day) {
            if (sb.length() > 1) {
                sb.append(',');
            }
            sb.append("{\"device\":\"").append(s.device()).append("\",\"obis\":\"").append(s.measurand())
                    .append("\",\"end\":\"").append(s.intervalEnd()).append("\",\"value\":")
                    .append(s.value().scaleByPowerOfTen(-3).stripTrailingZeros().toPlainString())
                    .append(",\"unit\":\"kWh\"}");
        }
        return sb.append(']').toString().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(b);
        }
        return out.toByteArray();
    }

    /** MQTT 3.1.1 PUBLISH size: fixed header, topic, packet id (QoS 1), payload. */
    static int mqttPublish(String topic, int payload) {
        int remaining = 2 + topic.getBytes(StandardCharsets.UTF_8).length + 2 + payload;
        int lengthBytes = remaining < 128 ? 1 : remaining < 16384 ? 2 : remaining < 2097152 ? 3 : 4;
        return 1 + lengthBytes + remaining;
    }

    static double median(double[] v) {
        return Stats.median(v);
    }

    static void figure(String name, double value, String peer, double peerValue) {
        System.out.printf(Locale.ROOT, "figure=%s value=%.2f unit=B peer=%s peer_value=%.2f ratio=%.2f%n", name, value,
                peer, peerValue, value / peerValue);
    }
}
