package org.modhub.ota.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The torture test: a child JVM runs a real Felix framework and installs a package; it is killed with
 * SIGKILL at a random point of verify, stage, apply, health check or commit (and sometimes again while
 * it finishes the trial after the restart). After every restart the framework runs exactly the
 * known-good set or the trial set, every bundle is active, hub-core's health (the real hub-core with its
 * SQLite store, in the same framework) is UP, the metering data written before each update is all there and
 * nothing else, and once the trial is finished the journal is IDLE. Rounds: {@code -Dota.crash.rounds} (default 30; the full run is 200), seed
 * {@code -Dota.crash.seed}.
 */
class OtaCrashTest {
    static final String[] PHASES = { "verify", "stage", "apply", "health", "commit", "none" };

    @TempDir
    Path dir;

    record Run(List<String> lines, boolean killed) {
        String get(String prefix) {
            return lines.stream().filter(l -> l.startsWith(prefix + " ")).map(l -> l.substring(prefix.length() + 1))
                    .findFirst().orElse(null);
        }
    }

    Run child(String mode, int round, String killAt, int delayMs) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                CrashChild.class.getName(), dir.toString(), mode, Integer.toString(round)));
        Process p = new ProcessBuilder(cmd).redirectError(dir.resolve("child.err").toFile()).start();
        List<String> lines = new ArrayList<>();
        boolean killed = false;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null;) {
                lines.add(line);
                if (killAt != null && line.equals("PHASE " + killAt)) {
                    if (delayMs > 0) {
                        Thread.sleep(delayMs);
                    }
                    p.destroyForcibly(); // SIGKILL
                    killed = true;
                    break;
                }
            }
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child did not end");
        return new Run(lines, killed);
    }

    @Test
    void killAtRandomPointsNeverBricksTheHub() throws Exception {
        int rounds = Integer.getInteger("ota.crash.rounds", 30);
        long seed = Long.getLong("ota.crash.seed", System.nanoTime());
        Random random = new Random(seed);
        Map<String, Integer> kills = new LinkedHashMap<>();
        int committed = 0;
        int keptKnownGood = 0;
        Run first = child("check", 0, null, 0);
        String known = first.get("BOOTED");
        assertNotNull(known, "first boot: " + first.lines() + " " + java.nio.file.Files.readString(dir.resolve("child.err")));
        assertEquals("UP", first.get("HEALTH"), "first boot: " + first.lines());
        java.util.TreeSet<String> recorded = new java.util.TreeSet<>();
        for (int round = 0; round < rounds; round++) {
            String where = "round " + round + " (seed " + seed + ")";
            String phase = PHASES[random.nextInt(PHASES.length)];
            int delay = random.nextInt(40);
            Run install = child("install", round, phase.equals("none") ? null : phase, delay);
            assertEquals(known, install.get("BOOTED"), where + ": booted set " + install.lines());
            String trial = install.get("TRIAL");
            assertNotNull(trial, where + ": " + install.lines());
            if (install.get("RECORDED") != null) {
                recorded.add(install.get("RECORDED"));
            }
            if (install.killed()) {
                kills.merge(phase, 1, Integer::sum);
            } else {
                assertTrue(install.lines().contains("DONE"), where + ": " + install.lines());
            }
            // restart(s): sometimes kill again while the trial is being finished
            Run check;
            int restarts = 0;
            do {
                boolean killAgain = restarts < 2 && random.nextInt(4) == 0;
                check = child("check", round, killAgain ? "health" : null, random.nextInt(20));
                String booted = check.get("BOOTED");
                assertTrue(known.equals(booted) || trial.equals(booted), where + ": booted " + booted + ", known " + known
                        + ", trial " + trial + " " + check.lines());
                restarts++;
            } while (check.killed());
            String fin = check.get("FINAL");
            assertNotNull(fin, where + ": " + check.lines());
            String[] f = fin.split(" ");
            assertEquals("IDLE", f[1], where + ": " + fin);
            assertTrue(known.equals(f[0]) || trial.equals(f[0]), where + ": final " + f[0]);
            assertTrue(check.lines().stream().noneMatch(l -> l.startsWith("INACTIVE")), where + ": " + check.lines());
            // hub-core's health is UP, and the metering data is intact: every reading recorded before the update
            // is there, nothing else (this round's reading may be there although the kill hid its RECORDED line)
            assertEquals("UP", check.get("HEALTH"), where + ": " + check.lines());
            String metering = check.get("METERING");
            assertNotNull(metering, where + ": " + check.lines());
            java.util.TreeSet<String> stored = new java.util.TreeSet<>(metering.isEmpty() ? List.of()
                    : List.of(metering.split(",")));
            assertEquals(stored.size(), metering.isEmpty() ? 0 : metering.split(",").length, where + ": duplicates " + metering);
            java.util.TreeSet<String> expected = new java.util.TreeSet<>(recorded);
            if (stored.contains(Integer.toString(round))) {
                expected.add(Integer.toString(round));
                recorded.add(Integer.toString(round));
            }
            assertEquals(expected, stored, where + ": metering data");
            if (trial.equals(f[0])) {
                committed++;
                known = trial;
            } else {
                keptKnownGood++;
            }
        }
        System.out.println("ota crash test: " + rounds + " rounds, seed " + seed + ", kills " + kills + ", committed "
                + committed + ", kept or restored the known-good set " + keptKnownGood);
        if (rounds >= 10 && kills.values().stream().mapToInt(Integer::intValue).sum() == 0) {
            fail("no round was killed");
        }
    }
}
