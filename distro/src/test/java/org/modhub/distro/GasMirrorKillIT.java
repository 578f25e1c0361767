package org.modhub.distro;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gas mirror survives {@code kill -9} of the whole hub: the dev variant (real hub-core store,
 * gas-mirror, ZigBee coordinator) runs with the ZigBee network emulator's sleepy gas meter waking every
 * second, its clock set hours back and stepped 30 minutes per wake-up (framework properties
 * {@code modhub.zigbee.emulator.*}), so half-hourly pushes arrive in seconds. The test reads the mirror
 * only from outside, through the management endpoint ({@code GET /api/status?meter=<gas meter>}: latest
 * mirrored read with its age and staleness, the daily read log, the half-hourly profile), SIGKILLs the
 * JVM three times at different points (after some pushes; right after pushes resumed, while a gap may
 * still be pending; after the gap was filled), restarts it on the same data folder and checks that every
 * value read before the kill is there unchanged, that pushes resume, and that the half hours the meter
 * captured while the hub was down are recovered from the meter (gap recovery) so the profile has no hole.
 *
 * <p>The emulated meter is a device of its own: it keeps its registers and capture history across the
 * hub's restarts and captures the wake-ups that fall while the hub is down, as a real meter would.
 * Each wake-up uses 37 litres, so every half hour of the accelerated part of the profile is 0.037 m³.
 */
class GasMirrorKillIT {
    static final String GSME = "00-0D-6F-00-00-65-00-02";
    static final BigDecimal PER_WAKE = new BigDecimal("0.037");
    static final long HALF_HOUR_S = 1800;
    static final Duration STALE_AFTER = Duration.ofMinutes(65); // gas-mirror default staleAfterMinutes

    @TempDir
    Path dir;

    /** What the management endpoint shows of the gas meter at one moment. */
    record View(Instant at, Instant capturedAt, long ageSeconds, boolean stale, BigDecimal volume, long todayWh,
            long todayCost, TreeMap<Instant, BigDecimal> daily, TreeMap<Instant, BigDecimal> profile, List<String> gasEvents) {
        Instant boundary() {
            return boundaryOf(capturedAt);
        }

        /**
         * The half-hour ends missing between the first profile entry and the half hour of the latest push
         * (which has its entry once the one before it is known): a gap still to recover is a hole too.
         */
        List<Instant> holes() {
            List<Instant> out = new ArrayList<>();
            if (profile.isEmpty()) {
                return out;
            }
            for (Instant t = profile.firstKey(); !t.isAfter(boundary()); t = t.plusSeconds(HALF_HOUR_S)) {
                if (!profile.containsKey(t)) {
                    out.add(t);
                }
            }
            return out;
        }

        @Override
        public String toString() {
            return "captured " + capturedAt + " volume " + volume + " age " + ageSeconds + " s stale " + stale + ", "
                    + profile.size() + " half hours " + (profile.isEmpty() ? "" : profile.firstKey() + ".." + profile.lastKey())
                    + " holes " + holes() + ", daily " + daily + ", events " + gasEvents;
        }
    }

    static Instant boundaryOf(Instant t) {
        return Instant.ofEpochSecond(t.getEpochSecond() - Math.floorMod(t.getEpochSecond(), HALF_HOUR_S));
    }

    @Test
    void mirrorKeepsEveryAcknowledgedValueAcrossKillNineAndRecoversTheGap() throws Exception {
        Instant t0 = Instant.now();
        long sinceMidnight = Duration.between(t0.truncatedTo(ChronoUnit.DAYS), t0).toMinutes();
        // The meter's clock starts far enough back to cross the last midnight UTC with a few half hours to spare
        // (a daily read) and to give room for three kills (each costs as many half hours as the hub is down for
        // seconds, and a restart on a loaded machine can take half a minute). The status page's chart shows the newest 48 half hours: older ones are out of view, not lost.
        long behind = Math.max(1440, sinceMidnight + 100);
        Instant midnight = t0.truncatedTo(ChronoUnit.DAYS);
        int bridgePort;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            bridgePort = free.getLocalPort(); // not the dev default 8041, which another hub on the machine may hold
        }
        String opts = "-Dmodhub.zigbee.emulator.gasWakeSeconds=1 -Dmodhub.zigbee.emulator.gasClockBehindMinutes=" + behind
                + " -Dmodhub.zigbee.emulator.gasClockStepMinutes=30 -Dmodhub.bridge.http.port=" + bridgePort;
        Path data = dir.resolve("data");
        List<View> views = new ArrayList<>();
        boolean gapSeen = false;

        HubProcess hub = new HubProcess("dev", data, opts);
        try {
            hub.awaitLine("modhub READY in", 120);
            View before = await(hub, views, v -> v.profile.size() >= 4, "four half-hourly entries");
            for (int kill = 1; kill <= 3; kill++) {
                hub.kill(); // SIGKILL of the hub's JVM
                assertFalse(hub.process.isAlive());
                hub = new HubProcess("dev", data, opts);
                hub.awaitLine("modhub READY in", 120);

                View last = before;
                View first = await(hub, views, v -> true, "the mirror after restart " + kill);
                assertKept(before, first, "right after restart " + kill);
                // pushes resume: a capture after the last one seen before the kill
                View resumed = await(hub, views, v -> v.capturedAt.isAfter(last.capturedAt), "pushes after restart " + kill);
                assertKept(before, resumed, "after pushes resumed (restart " + kill + ")");
                Instant lastBefore = before.boundary();
                // the meter captured half hours while the hub was down (its clock may even have caught up with real
                // time meanwhile when the restart was slow): the mirror must recover them
                boolean gap = resumed.boundary().isAfter(lastBefore.plusSeconds(HALF_HOUR_S));
                View next;
                if (kill == 2) {
                    next = resumed; // kill again at once: a gap may still be pending in the mirror's state
                } else {
                    // the half hours captured while the hub was down are recovered from the meter
                    int wanted = resumed.profile.size() + 3;
                    next = await(hub, views, v -> v.holes().isEmpty() && !v.profile.isEmpty()
                            && (v.profile.size() >= wanted || !v.capturedAt.isBefore(t0.minusSeconds(60))),
                            "a profile without holes after restart " + kill);
                }
                if (gap) {
                    gapSeen = true;
                    if (kill != 2) {
                        for (Instant t = lastBefore; !t.isAfter(resumed.boundary()); t = t.plusSeconds(HALF_HOUR_S)) {
                            assertTrue(next.profile.containsKey(t), "restart " + kill + ": half hour " + t + " not recovered: " + next);
                        }
                    }
                }
                before = next;
            }
            // after the last restart: every acknowledged value is still there, the profile has no hole, and
            // the mirror has caught up with the meter
            View end = await(hub, views, v -> v.holes().isEmpty() && !v.daily.isEmpty(), "final profile without holes");
            assertTrue(gapSeen, "no kill left a gap for the mirror to recover (the meter's clock caught up too early?): " + views);
            assertTrue(views.stream().anyMatch(v -> v.gasEvents.contains("GAS_GAP_FILLED")), "no GAS_GAP_FILLED event seen: " + end);
            for (View v : views) {
                assertKept(v, end, "final");
            }
            for (View v : views) {
                checkView(v, t0);
            }
            assertTrue(end.daily.containsKey(midnight), "no daily read at " + midnight + ": " + end);
            // the daily read is the volume at midnight: the latest volume of an accelerated view minus 37 litres per half hour
            int checked = 0;
            for (View v : views) {
                BigDecimal m = v.daily.get(midnight);
                if (m != null && !v.capturedAt.plusSeconds(HALF_HOUR_S).isAfter(t0)) {
                    long halfHours = Duration.between(midnight, v.boundary()).toSeconds() / HALF_HOUR_S;
                    assertEquals(0, v.volume.subtract(PER_WAKE.multiply(BigDecimal.valueOf(halfHours))).compareTo(m),
                            "daily read " + m + " at " + midnight + " against " + v);
                    checked++;
                }
            }
            System.out.println("GasMirrorKillIT: " + views.size() + " views, behind " + behind + " min, daily checks " + checked
                    + ", final " + end);
            hub.stop();
        } finally {
            hub.close();
        }
    }

    /** Everything {@code before} showed is in {@code after}, unchanged; the latest read is the same or newer. */
    static void assertKept(View before, View after, String when) {
        for (Map.Entry<Instant, BigDecimal> e : before.profile.entrySet()) {
            if (after.profile.size() >= 48 && e.getKey().isBefore(after.profile.firstKey())) {
                continue; // older than the 48 half hours the status page shows
            }
            BigDecimal now = after.profile.get(e.getKey());
            assertNotNull(now, when + ": half hour " + e.getKey() + " lost: before " + before + "; after " + after);
            assertEquals(0, e.getValue().compareTo(now), when + ": half hour " + e.getKey() + " changed " + e.getValue() + " → " + now);
        }
        for (Map.Entry<Instant, BigDecimal> e : before.daily.entrySet()) {
            BigDecimal now = after.daily.get(e.getKey());
            assertNotNull(now, when + ": daily read " + e.getKey() + " lost: " + after);
            assertEquals(0, e.getValue().compareTo(now), when + ": daily read " + e.getKey() + " changed");
        }
        assertFalse(after.capturedAt.isBefore(before.capturedAt), when + ": latest read went back: " + before + " → " + after);
        if (after.capturedAt.equals(before.capturedAt)) {
            assertEquals(0, before.volume.compareTo(after.volume), when + ": latest volume changed");
            assertEquals(before.todayWh, after.todayWh, when + ": latest today's energy changed");
            assertEquals(before.todayCost, after.todayCost, when + ": latest today's cost changed");
        } else {
            assertTrue(after.volume.compareTo(before.volume) > 0, when + ": volume did not grow: " + before + " → " + after);
        }
    }

    /** Values, ages and staleness as the mirror must show them. */
    static void checkView(View v, Instant t0) {
        // the hub renders the age after the test took its time: between that age and that plus the request's time
        long age = Duration.between(v.capturedAt, v.at).toSeconds();
        assertTrue(v.ageSeconds >= age - 2 && v.ageSeconds <= age + 30, "age " + v.ageSeconds + " s for a capture " + age
                + " s old: " + v);
        if (Math.abs(v.ageSeconds - STALE_AFTER.toSeconds()) > 2) {
            assertEquals(v.ageSeconds > STALE_AFTER.toSeconds(), v.stale, "staleness at age " + v.ageSeconds + " s: " + v);
        }
        for (Map.Entry<Instant, BigDecimal> e : v.profile.entrySet()) {
            BigDecimal value = e.getValue();
            assertTrue(value.signum() > 0 && value.remainder(PER_WAKE).signum() == 0,
                    "half hour " + e.getKey() + ": " + value + " m³ is not a whole number of wake-ups: " + v);
            if (e.getKey().isBefore(boundaryOf(t0))) {
                // while the meter's clock was behind it woke once per half hour
                assertEquals(0, PER_WAKE.compareTo(value), "half hour " + e.getKey() + ": " + value + " m³: " + v);
            }
        }
        assertTrue(v.todayWh > 0 && v.todayCost > 0, "today's energy and cost of a live push: " + v);
    }

    /** Polls the status until {@code condition} holds (generous deadline: the machine may be loaded). */
    static View await(HubProcess hub, List<View> views, Predicate<View> condition, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        View last = null;
        while (System.nanoTime() < deadline) {
            if (!hub.process.isAlive()) {
                fail("hub exited before " + what + ":\n" + String.join("\n", hub.output));
            }
            View v = view(hub);
            if (v != null) {
                views.add(v);
                last = v;
                if (condition.test(v)) {
                    return v;
                }
            }
            Thread.sleep(200);
        }
        fail("no " + what + " within 90 s; last view: " + last + "\n" + String.join("\n", hub.output));
        return null;
    }

    private static final Pattern GAS = Pattern.compile("\"gas\":\\[\\{\"meter\":\"" + GSME + "\",\"capturedAt\":\"([^\"]+)\","
            + "\"ageSeconds\":(\\d+),\"stale\":(true|false),\"volumeM3\":([0-9.]+),\"todayEnergyWh\":(\\d+),"
            + "\"todayCostMinor\":(\\d+),\"daily\":\\[([^\\]]*)\\]");
    private static final Pattern DAILY = Pattern.compile("\\{\"at\":\"([^\"]+)\",\"volumeM3\":([0-9.]+)\\}");
    private static final Pattern CHART = Pattern.compile("\"chart\":\\{\"meter\":\"" + GSME + "\",\"unit\":\"[A-Z_]*\",\"samples\":\\[([^\\]]*)\\]");
    private static final Pattern SAMPLE = Pattern.compile("\\{\"end\":\"([^\"]+)\",\"value\":([0-9.]+)\\}");
    private static final Pattern GAS_EVENT = Pattern.compile("\"code\":\"(GAS_[A-Z_]+)\"");

    /** The gas meter as {@code /api/status?meter=} shows it; null while there is no mirrored read or no endpoint yet. */
    static View view(HubProcess hub) throws IOException {
        Instant at = Instant.now();
        String body;
        try {
            HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + hub.port + "/api/status?meter=" + GSME)
                    .openConnection();
            c.setConnectTimeout(5_000);
            c.setReadTimeout(15_000);
            if (c.getResponseCode() != 200) {
                return null;
            }
            body = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (ConnectException e) {
            return null; // the endpoint listens only some time after READY
        }
        Matcher g = GAS.matcher(body);
        if (!g.find()) {
            return null;
        }
        TreeMap<Instant, BigDecimal> daily = new TreeMap<>();
        Matcher d = DAILY.matcher(g.group(7));
        while (d.find()) {
            daily.put(Instant.parse(d.group(1)), new BigDecimal(d.group(2)));
        }
        TreeMap<Instant, BigDecimal> profile = new TreeMap<>();
        Matcher ch = CHART.matcher(body);
        if (ch.find()) {
            Matcher s = SAMPLE.matcher(ch.group(1));
            while (s.find()) {
                profile.put(Instant.parse(s.group(1)), new BigDecimal(s.group(2)));
            }
        }
        List<String> events = new ArrayList<>();
        Matcher e = GAS_EVENT.matcher(body);
        while (e.find()) {
            events.add(e.group(1));
        }
        return new View(at, Instant.parse(g.group(1)), Long.parseLong(g.group(2)), Boolean.parseBoolean(g.group(3)),
                new BigDecimal(g.group(4)), Long.parseLong(g.group(5)), Long.parseLong(g.group(6)), daily, profile, events);
    }
}
