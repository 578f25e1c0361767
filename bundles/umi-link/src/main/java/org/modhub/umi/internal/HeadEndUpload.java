package org.modhub.umi.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.modhub.api.common.Eui64;
import org.modhub.api.messaging.OutboundMessage;
import org.modhub.api.messaging.Outbox;
import org.modhub.api.metering.ProfileCodec;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.ReadingCodec;

/**
 * Hands what a read cycle stored to hub-core's durable {@link Outbox}, so it reaches whichever
 * head-end session is connected: the registers as one {@link ReadingCodec} message on
 * {@code readingsTopic}, the new load-profile samples as one {@link ProfileCodec} run per series on
 * {@code profileTopic}, all queued in one atomic write. Message ids are derived from the meter and the
 * data, so a repeated cycle over the same intervals is de-duplicated by the outbox and the head end.
 */
public final class HeadEndUpload {
    private final Outbox outbox;
    private final Eui64 meter;
    private final String readingsTopic;
    private final String profileTopic;

    public HeadEndUpload(Outbox outbox, Eui64 meter, String readingsTopic, String profileTopic) {
        this.outbox = outbox;
        this.meter = meter;
        this.readingsTopic = readingsTopic;
        this.profileTopic = profileTopic;
        // validates the topics now (a bad one throws IllegalArgumentException)
        new OutboundMessage("x", readingsTopic, OutboundMessage.PRIORITY_NORMAL, 1, Instant.EPOCH, new byte[0]);
        new OutboundMessage("x", profileTopic, OutboundMessage.PRIORITY_NORMAL, 1, Instant.EPOCH, new byte[0]);
    }

    /** The messages for one cycle's data (none for no data). */
    public List<OutboundMessage> messages(List<Reading> readings, List<ProfileSample> samples) {
        List<OutboundMessage> out = new ArrayList<>();
        Instant now = Instant.now();
        if (!readings.isEmpty()) {
            out.add(new OutboundMessage("umi-" + meter.toHex() + "-r-" + readings.get(0).instant().toEpochMilli(),
                    readingsTopic, OutboundMessage.PRIORITY_NORMAL, 1, now, ReadingCodec.encode(readings)));
        }
        Map<String, List<ProfileSample>> series = new LinkedHashMap<>();
        for (ProfileSample s : samples) {
            series.computeIfAbsent(s.measurand() + "/" + s.interval().getSeconds() + "/" + s.unit() + "/" + s.scaler(),
                    k -> new ArrayList<>()).add(s);
        }
        for (List<ProfileSample> run : series.values()) {
            run.sort(Comparator.comparing(ProfileSample::intervalEnd));
            List<ProfileSample> distinct = new ArrayList<>();
            for (ProfileSample s : run) {
                if (distinct.isEmpty() || s.intervalEnd().isAfter(distinct.get(distinct.size() - 1).intervalEnd())) {
                    distinct.add(s);
                }
            }
            for (int from = 0; from < distinct.size(); from += ProfileCodec.MAX_SAMPLES) {
                List<ProfileSample> part = distinct.subList(from, Math.min(distinct.size(), from + ProfileCodec.MAX_SAMPLES));
                ProfileSample first = part.get(0);
                String id = "umi-" + meter.toHex() + "-p-" + first.measurand() + "-" + first.intervalEnd().getEpochSecond()
                        + "-" + part.size();
                out.add(new OutboundMessage(id, profileTopic, OutboundMessage.PRIORITY_NORMAL, 1, now,
                        ProfileCodec.encode(part)));
            }
        }
        return out;
    }

    /**
     * Queues one cycle's data; durable when this returns.
     *
     * @return the number of messages queued
     * @throws IllegalArgumentException if a profile run is off its interval grid (nothing is queued then)
     */
    public int send(List<Reading> readings, List<ProfileSample> samples) {
        List<OutboundMessage> m = messages(readings, samples);
        if (!m.isEmpty()) {
            outbox.enqueueAll(m);
        }
        return m.size();
    }
}
