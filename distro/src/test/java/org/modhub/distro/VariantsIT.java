package org.modhub.distro;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The production variants: exported by the build, free of the shell and of emulators, reach READY
 * (first boot and reboot, when the OTA boot guard runs at start level 1), with every component UP
 * except last gasp, which has no power monitor until the device's sysfs path is configured.
 */
class VariantsIT {
    @TempDir
    Path dir;

    static List<String> embeddedBundles(String variant) throws Exception {
        List<String> out = new ArrayList<>();
        try (JarFile jar = new JarFile(HubProcess.ROOT.resolve("distro/target/" + variant + ".jar").toFile())) {
            jar.stream().filter(e -> e.getName().startsWith("jar/")).forEach(e -> out.add(e.getName()));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = { "standalone", "dual-band" })
    void productionVariantReachesReadyWithoutShellOrEmulators(String variant) throws Exception {
        List<String> bundles = embeddedBundles(variant);
        assertTrue(bundles.stream().anyMatch(b -> b.contains("ota-agent")), bundles.toString());
        assertTrue(bundles.stream().anyMatch(b -> b.contains("hub-core")), bundles.toString());
        assertFalse(bundles.stream().anyMatch(b -> b.contains("gogo") || b.contains("emulator")), bundles.toString());
        // the composition of issue #7: standalone = GPRS, ZigBee, gas mirror, last gasp, PKI, OTA; dual-band =
        // that plus RF mesh, M-Bus and the UMI link
        for (String b : new String[] { "gprs-link", "zigbee-coordinator", "com.zsmartsystems.zigbee-", "gas-mirror",
            "last-gasp", "pki-agent", "headend-kura", "meter-reports" }) {
            assertTrue(bundles.stream().anyMatch(x -> x.contains(b)), variant + " lacks " + b + ": " + bundles);
        }
        for (String b : new String[] { "mesh-link", "mbus-link", "umi-link" }) {
            assertEquals(variant.equals("dual-band"), bundles.stream().anyMatch(x -> x.contains(b)), variant + " and "
                    + b + ": " + bundles);
        }
        Path data = dir.resolve(variant);
        for (int boot = 1; boot <= 2; boot++) {
            try (HubProcess hub = new HubProcess(variant, data)) {
                hub.awaitLine("modhub READY in", 120);
                String health = hub.awaitSettled();
                assertTrue(health.contains("\"name\":\"org.modhub.ota.internal.OtaAgent\",\"state\":\"UP\""), health);
                Matcher m = Pattern.compile("\"name\":\"([^\"]*)\",\"state\":\"(DEGRADED|STARTING)\",\"reason\":\"([^\"]*)\"")
                        .matcher(health);
                while (m.find()) {
                    assertEquals("org.modhub.lastgasp", m.group(1), "boot " + boot + ": " + m.group(0));
                    assertTrue(m.group(3).contains("no power monitor"), m.group(0));
                }
                hub.stop();
            }
        }
    }
}
