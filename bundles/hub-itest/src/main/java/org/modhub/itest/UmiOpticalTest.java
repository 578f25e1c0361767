package org.modhub.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modhub.api.common.Eui64;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.DeviceType;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.ReadingCodec;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

/**
 * umi-link in the framework reading a meter that only has an optical port: IEC 62056-21 mode C over a
 * socat pty pair from the emulated meter; the readings land in hub-core's metering store, umi-link puts
 * the meter in the device log, and meter-reports (the one head-end path) takes each reading to the
 * (emulated) head end exactly once, as ReadingCodec messages of this run's meter.
 */
@ExtendWith({ BundleContextExtension.class, ServiceExtension.class })
class UmiOpticalTest {
    static final String EK = UmiLinkTest.EK;
    static final String AK = UmiLinkTest.AK;

    @InjectBundleContext
    BundleContext context;
    @InjectService(timeout = 30_000)
    ConfigurationAdmin cm;
    @InjectService(timeout = 30_000)
    MeteringStore metering;
    @InjectService(timeout = 30_000)
    DeviceLog deviceLog;

    private final List<Bundle> installed = new ArrayList<>();
    private final List<Configuration> configurations = new ArrayList<>();
    private final List<Reading> headEnd = new CopyOnWriteArrayList<>();
    private final Set<String> bodies = ConcurrentHashMap.newKeySet();
    private Eui64 meter;
    private Path dir;
    private Process socat;
    private Emulator wan;
    private ServiceRegistration<EventHandler> probe;

    @BeforeEach
    void setUp() throws Exception {
        LastGaspTest.clearLeftoverInterrupt("UmiOpticalTest");
        byte[] id = new byte[8];
        ThreadLocalRandom.current().nextBytes(id);
        meter = Eui64.of(id); // this run's meter: judge only its messages
        dir = Files.createTempDirectory("modhub-umi-optical");
        socat = new ProcessBuilder("socat", "pty,raw,echo=0,link=" + dir.resolve("meter") + ",mode=666",
                "pty,raw,echo=0,link=" + dir.resolve("hub") + ",mode=666").redirectErrorStream(true)
                .redirectOutput(dir.resolve("socat.log").toFile()).start();
        Await.until("socat's ptys", Duration.ofSeconds(20),
                () -> Files.exists(dir.resolve("meter")) && Files.exists(dir.resolve("hub")), () -> "");
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(EventConstants.EVENT_TOPIC, HeadEndProbe.TOPIC_RECEIVED);
        probe = context.registerService(EventHandler.class, event -> {
            if (ReadingCodec.TOPIC.equals(event.getProperty("topic"))
                    && event.getProperty("payload") instanceof byte[] bytes) {
                try {
                    List<Reading> r = ReadingCodec.decode(bytes);
                    // a repeat of the same message (at-least-once delivery) is dropped as the head end would
                    if (r.get(0).device().equals(meter) && bodies.add(HexFormat.of().formatHex(bytes))) {
                        headEnd.addAll(r);
                    }
                } catch (Exception ignored) {
                    // another test's message
                }
            }
        }, props);
        wan = new Emulator(context, cm);
        wan.uninstall();
        wan.deleteConfiguration();
        wan.configure(Map.of("state", "UP"));
        wan.installAndStart();
        wan.awaitLinkState("UP");
    }

    @AfterEach
    void tearDown() throws Exception {
        probe.unregister();
        for (Bundle b : installed) {
            b.uninstall();
        }
        for (Configuration c : configurations) {
            c.delete();
        }
        wan.uninstall();
        wan.deleteConfiguration();
        deviceLog.remove(meter);
        socat.destroy();
        socat.waitFor(10, TimeUnit.SECONDS);
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private void install(String jar) throws Exception {
        URL url = context.getBundle().getEntry(jar);
        assertNotNull(url, jar + " embedded");
        try (InputStream in = url.openStream()) {
            Bundle b = context.installBundle("itest:embedded/optical/" + jar, in);
            installed.add(b);
            b.start();
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void opticalReadoutReachesTheStoreAndTheHeadEnd() throws Exception {
        Configuration emulator = cm.getConfiguration("org.modhub.emulator.umi", "?");
        emulator.update(new Hashtable<>(Map.of("port", freePort(), ".blockCipherKey", EK, ".authenticationKey", AK,
                "opticalDevice", dir.resolve("meter").toString(), "opticalAddress", "12345678")));
        configurations.add(emulator);
        Configuration link = cm.getFactoryConfiguration("org.modhub.umi", "optical-" + meter.toHex(), "?");
        Dictionary<String, Object> d = new Hashtable<>(Map.of("transport", "IEC62056_21", "serialDevice",
                dir.resolve("hub").toString(), "deviceAddress", "12345678", "meterId", meter.toString(),
                "pollSeconds", 5));
        link.update(d);
        configurations.add(link);
        // meter-reports, the one path of readings to the head end, every 10 s
        Configuration reports = cm.getConfiguration("org.modhub.reports", "?");
        reports.update(new Hashtable<>(Map.of("intervalSeconds", 10, "settleSeconds", 3)));
        configurations.add(reports);
        install("emulator-umi.jar");
        install("umi-link.jar");

        Await.until("optical import register in the metering store", Duration.ofSeconds(60),
                () -> metering.latest(meter, Measurands.ACTIVE_ENERGY_IMPORT).isPresent(), () -> "");
        assertTrue(metering.latest(meter, Measurands.ACTIVE_POWER_IMPORT).isPresent());
        assertTrue(metering.latest(meter, Measurands.ACTIVE_ENERGY_EXPORT.withTariff(2)).isPresent());
        Await.until("the readout at the head end", Duration.ofSeconds(60), () -> headEnd.size() >= 8,
                () -> "(" + headEnd.size() + " readings)");
        Reading sent = headEnd.stream().filter(r -> r.measurand().equals(Measurands.ACTIVE_ENERGY_IMPORT)).findFirst()
                .orElseThrow();
        assertEquals(metering.latest(meter, Measurands.ACTIVE_ENERGY_IMPORT).orElseThrow().unit(), sent.unit());
        assertEquals(DeviceType.ELECTRICITY_METER, deviceLog.find(meter).orElseThrow().type(), "enrolled by umi-link");

        // exactly once: wait until readouts taken after the first report have been reported too (so at
        // least two more reports ran), then no reading (measurand, instant) has reached the head end twice
        java.time.Instant firstSeen = headEnd.stream().map(Reading::instant).max(java.time.Instant::compareTo).orElseThrow();
        Await.until("later readouts at the head end", Duration.ofSeconds(90),
                () -> headEnd.stream().filter(r -> r.instant().isAfter(firstSeen.plusSeconds(10))).count() >= 8,
                () -> "(" + headEnd.size() + " readings)");
        Map<String, Long> copies = headEnd.stream().collect(Collectors.groupingBy(
                r -> r.measurand() + "@" + r.instant(), Collectors.counting()));
        assertTrue(copies.values().stream().allMatch(n -> n == 1), "readings reached the head end more than once: "
                + copies.entrySet().stream().filter(e -> e.getValue() > 1).toList());
        assertTrue(copies.size() >= 16, "readings of several readouts: " + copies.size());
    }
}
