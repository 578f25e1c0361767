package org.modhub.itest;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A minimal W3C WebDriver client for Debian's {@code chromedriver} driving headless {@code chromium}:
 * just what the status page test needs (session, navigate, execute script, element screenshot), over
 * the JDK's HTTP client, so no Selenium jars in the test framework.
 */
final class WebDriver implements AutoCloseable {
    static final String ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf";
    static final String[] DRIVERS = {"/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"};
    static final String[] BROWSERS = {"/usr/bin/chromium", "/usr/lib/chromium/chromium"};

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final Process driver;
    private final String base;
    private final String session;

    static String find(String[] candidates, String what) {
        for (String c : candidates) {
            if (Files.isExecutable(Path.of(c))) {
                return c;
            }
        }
        throw new AssertionError(what + " not installed (Debian: apt-get install -y chromium chromium-driver; .ci/run does)");
    }

    WebDriver() throws Exception {
        String driverPath = find(DRIVERS, "chromedriver");
        String browser = find(BROWSERS, "chromium");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        driver = new ProcessBuilder(driverPath, "--port=" + port, "--allowed-ips=127.0.0.1")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        base = "http://127.0.0.1:" + port;
        Await.until("chromedriver to listen", Duration.ofSeconds(60), () -> {
            try {
                return call("GET", "/status", null).contains("\"ready\":true");
            } catch (IOException e) {
                return false;
            }
        }, () -> "");
        String caps = "{\"capabilities\":{\"alwaysMatch\":{\"browserName\":\"chrome\",\"goog:chromeOptions\":{"
                + "\"binary\":\"" + browser + "\",\"args\":[\"--headless=new\",\"--no-sandbox\",\"--disable-gpu\","
                + "\"--disable-dev-shm-usage\",\"--window-size=1280,1600\",\"--no-first-run\",\"--disable-extensions\"]}}}}";
        String r = call("POST", "/session", caps);
        Matcher m = Pattern.compile("\"sessionId\"\\s*:\\s*\"([^\"]+)\"").matcher(r);
        if (!m.find()) {
            driver.destroyForcibly();
            throw new AssertionError("no WebDriver session: " + r);
        }
        session = m.group(1);
    }

    String call(String method, String path, String json) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(90));
        b = json == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    void navigate(String url) throws IOException {
        call("POST", "/session/" + session + "/url", "{\"url\":\"" + url + "\"}");
    }

    /** Runs a script that returns a string; returns it. */
    String script(String js) throws IOException {
        String r = call("POST", "/session/" + session + "/execute/sync",
                "{\"script\":" + quote(js) + ",\"args\":[]}");
        int i = r.indexOf("\"value\"");
        if (i < 0) {
            throw new IOException("unexpected script result: " + r);
        }
        i = r.indexOf(':', i) + 1;
        while (i < r.length() && Character.isWhitespace(r.charAt(i))) {
            i++;
        }
        if (r.startsWith("null", i)) {
            return null;
        }
        if (i >= r.length() || r.charAt(i) != '"') {
            throw new IOException("script did not return a string: " + r);
        }
        StringBuilder raw = new StringBuilder();
        for (i = i + 1; i < r.length() && r.charAt(i) != '"'; i++) {
            char c = r.charAt(i);
            raw.append(c);
            if (c == '\\' && i + 1 < r.length()) {
                raw.append(r.charAt(++i));
            }
        }
        return unquote(raw.toString());
    }

    /** PNG of the element matching a CSS selector. */
    byte[] elementScreenshot(String css) throws IOException {
        String r = call("POST", "/session/" + session + "/element", "{\"using\":\"css selector\",\"value\":" + quote(css) + "}");
        Matcher m = Pattern.compile("\"" + ELEMENT_KEY + "\"\\s*:\\s*\"([^\"]+)\"").matcher(r);
        if (!m.find()) {
            throw new IOException("no element " + css + ": " + r);
        }
        return png(call("GET", "/session/" + session + "/element/" + m.group(1) + "/screenshot", null));
    }

    byte[] screenshot() throws IOException {
        return png(call("GET", "/session/" + session + "/screenshot", null));
    }

    private static byte[] png(String r) throws IOException {
        Matcher m = Pattern.compile("\"value\"\\s*:\\s*\"([A-Za-z0-9+/=]+)\"").matcher(r);
        if (!m.find()) {
            throw new IOException("no screenshot: " + (r.length() > 300 ? r.substring(0, 300) : r));
        }
        return Base64.getDecoder().decode(m.group(1));
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                default -> sb.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return sb.append('"').toString();
    }

    static String unquote(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                switch (n) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        sb.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                        i += 4;
                    }
                    default -> sb.append(n);
                }
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    @Override
    public void close() {
        try {
            call("DELETE", "/session/" + session, null);
        } catch (IOException | RuntimeException e) {
            // the driver goes anyway
        }
        driver.destroy();
        try {
            if (!driver.waitFor(10, TimeUnit.SECONDS)) {
                driver.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            driver.destroyForcibly();
        }
    }
}
