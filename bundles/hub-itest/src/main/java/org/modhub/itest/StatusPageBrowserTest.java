package org.modhub.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modhub.api.common.Eui64;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.DeviceLogEntry;
import org.modhub.api.han.DeviceType;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Unit;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

/**
 * The status page end to end: hub-management's servlets on Felix Jetty in this framework, loaded in
 * headless Chromium through chromedriver: every section is there, the 48 half-hourly readings put in
 * the metering store are drawn, and a screenshot of the chart's box shows the bars.
 */
@ExtendWith({BundleContextExtension.class, ServiceExtension.class})
class StatusPageBrowserTest {
    static final Eui64 METER = Eui64.parse("00-0D-6F-00-00-00-5A-01");
    static final String RUNTIME = "org.osgi.service.servlet.runtime.HttpServiceRuntime";
    /** The bars' colour in status.js. */
    static final int BAR_RGB = 0x1f6fb2;

    @InjectBundleContext
    BundleContext context;
    @InjectService(timeout = 30_000)
    DeviceLog deviceLog;
    @InjectService(timeout = 30_000)
    MeteringStore metering;

    /** The management endpoint's base URL once Jetty runs (it starts after READY, on its own thread). */
    private String endpoint() {
        String[] found = new String[1];
        Await.until("the servlet runtime with an endpoint", Duration.ofSeconds(120), () -> {
            try {
                ServiceReference<?>[] refs = context.getAllServiceReferences(RUNTIME, null);
                if (refs == null) {
                    return false;
                }
                for (ServiceReference<?> r : refs) {
                    Object e = r.getProperty("osgi.http.endpoint");
                    String url = e instanceof String[] a && a.length > 0 ? a[0] : e instanceof String s ? s : null;
                    if (url != null && url.matches("http://127\\.0\\.0\\.1:[1-9][0-9]*/.*")) {
                        found[0] = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
                        return true;
                    }
                }
            } catch (org.osgi.framework.InvalidSyntaxException e) {
                throw new AssertionError(e);
            }
            return false;
        }, () -> "");
        return found[0];
    }

    @Test
    void pageShowsEverySectionAndDrawsTheChart() throws Exception {
        deviceLog.add(new DeviceLogEntry(METER, DeviceType.ELECTRICITY_METER, null, null, Instant.now()));
        Instant lastEnd = Instant.ofEpochSecond(Instant.now().getEpochSecond() / 1800 * 1800);
        List<ProfileSample> samples = new ArrayList<>();
        for (int i = 47; i >= 0; i--) {
            samples.add(new ProfileSample(METER, Measurands.ACTIVE_ENERGY_IMPORT, lastEnd.minusSeconds(1800L * i),
                    Duration.ofMinutes(30), 200 + (i * 37) % 400, 0, Unit.WATT_HOUR, Set.of()));
        }
        metering.recordProfile(samples);

        String base = endpoint();
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(health.body().startsWith("{\"state\":"), "/health on the same endpoint: " + health.body());

        // oversized and malformed requests: 4xx from Felix's Jetty as configured by hub-management, never a stack trace
        int port = Integer.parseInt(base.substring(base.lastIndexOf(':') + 1));
        String reply = raw(port, "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n");
        assertTrue(reply.startsWith("HTTP/1.1 431"), reply);
        for (String bad : new String[] {"GARBAGE\r\n\r\n", "GET /he alth HTTP/1.1\r\nHost: x\r\n\r\n",
                "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nabc"}) {
            reply = raw(port, bad);
            assertTrue(reply.matches("(?s)HTTP/1\\.1 4\\d\\d .*"), bad + " -> " + reply);
            assertTrue(!reply.contains("Exception") && !reply.contains("at org."), reply);
        }
        assertEquals(404, http.send(HttpRequest.newBuilder(URI.create(base + "/no/such/page")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());

        try (WebDriver browser = new WebDriver()) {
            browser.navigate(base + "/?meter=" + METER.toHex());
            Await.until("the page to load its status", Duration.ofSeconds(60), () -> {
                try {
                    return "true".equals(browser.script("return document.body.getAttribute('data-loaded') || 'false';"));
                } catch (IOException e) {
                    return false;
                }
            }, () -> "");
            String sections = browser.script("return ['chart','han','wan','gas','events','bundles'].map(function (id) {"
                    + " var e = document.getElementById(id); return id + ':' + (e ? 'y' : 'n'); }).join(',');");
            assertEquals("chart:y,han:y,wan:y,gas:y,events:y,bundles:y", sections);
            assertEquals("48", browser.script("return String(document.querySelectorAll('#chart svg rect.bar').length);"));
            String han = browser.script("return document.querySelector('#han tbody').textContent;");
            assertTrue(han.contains(METER.toString()) && han.contains("ESME"), han);
            String bundles = browser.script("return document.querySelector('#bundles tbody').textContent;");
            assertTrue(bundles.contains("org.modhub.hub-management") && bundles.contains("org.apache.felix.http.jetty12")
                    && bundles.contains("ACTIVE"), bundles);
            String state = browser.script("return document.getElementById('health-state').textContent;");
            assertTrue(Set.of("UP", "DEGRADED", "STARTING").contains(state), state);
            assertTrue(browser.script("return document.querySelector('#events tbody').textContent;").length() > 0);

            byte[] png = browser.elementScreenshot("#chart");
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
            int bar = 0;
            int background = 0;
            for (int y = 0; y < img.getHeight(); y++) {
                for (int x = 0; x < img.getWidth(); x++) {
                    int rgb = img.getRGB(x, y) & 0xFFFFFF;
                    if (close(rgb, BAR_RGB)) {
                        bar++;
                    } else if (rgb == 0xFFFFFF) {
                        background++;
                    }
                }
            }
            int total = img.getWidth() * img.getHeight();
            Path out = Path.of(System.getProperty("modhub.data", "target")).resolve("status-page.png");
            Files.createDirectories(out.getParent());
            Files.write(out, browser.screenshot());
            assertTrue(img.getWidth() > 200 && img.getHeight() > 100, "chart box " + img.getWidth() + "x" + img.getHeight());
            assertTrue(bar > total / 20, "bar pixels " + bar + " of " + total + " (background " + background
                    + "); page screenshot in " + out);
        }
    }

    private static String raw(int port, String request) throws IOException {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            byte[] b = new byte[4096];
            try {
                int n;
                while ((n = socket.getInputStream().read(b)) > 0 && out.size() < 65536) {
                    out.write(b, 0, n);
                    if (out.toString(java.nio.charset.StandardCharsets.ISO_8859_1).contains("\r\n\r\n")
                            && out.toString(java.nio.charset.StandardCharsets.ISO_8859_1).contains("Connection: close")) {
                        break;
                    }
                }
            } catch (java.net.SocketTimeoutException | java.net.SocketException e) {
                // the server may keep the connection open or reset it after the reply
            }
            return out.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
        }
    }

    private static boolean close(int rgb, int want) {
        int dr = ((rgb >> 16) & 0xFF) - ((want >> 16) & 0xFF);
        int dg = ((rgb >> 8) & 0xFF) - ((want >> 8) & 0xFF);
        int db = (rgb & 0xFF) - (want & 0xFF);
        return dr * dr + dg * dg + db * db < 30 * 30;
    }
}
