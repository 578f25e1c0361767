package org.modhub.ota.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A set of bundles the hub runs (bundle → version → SHA-256 of the jar kept in the OTA store, or
 * {@value #IMAGE} for a bundle that came with the hub image and was never touched by an update), with
 * the packages that were installed to reach it. Text form, one line each:
 *
 * <pre>
 * modhub-bundle-set 1
 * bundle &lt;symbolic name&gt; &lt;version&gt; &lt;sha256 | image&gt; &lt;location&gt;
 * package &lt;name&gt; &lt;version&gt; &lt;bsn,bsn,...&gt;
 * </pre>
 */
final class BundleSet {
    static final String HEADER = "modhub-bundle-set 1";
    static final String IMAGE = "image";

    record Entry(String bsn, String version, String sha256, String location) {
        Entry {
            Objects.requireNonNull(bsn);
            Objects.requireNonNull(version);
            Objects.requireNonNull(sha256);
            Objects.requireNonNull(location);
            for (String s : List.of(bsn, version, sha256, location)) {
                if (s.isEmpty() || s.contains(" ") || s.contains("\n")) {
                    throw new IllegalArgumentException("bad bundle set field: '" + s + "'");
                }
            }
        }

        boolean fromImage() {
            return IMAGE.equals(sha256);
        }
    }

    record Pkg(String name, String version, List<String> bundles) {
        Pkg {
            bundles = List.copyOf(bundles);
        }
    }

    private final Map<String, Entry> bundles;
    private final Map<String, Pkg> packages;

    BundleSet(Map<String, Entry> bundles, Map<String, Pkg> packages) {
        this.bundles = Collections.unmodifiableMap(new LinkedHashMap<>(bundles));
        this.packages = Collections.unmodifiableMap(new LinkedHashMap<>(packages));
    }

    Map<String, Entry> bundles() {
        return bundles;
    }

    Map<String, Pkg> packages() {
        return packages;
    }

    Optional<Entry> bundle(String bsn) {
        return Optional.ofNullable(bundles.get(bsn));
    }

    /** bsn:version of every bundle, sorted: what "the same set" means. */
    String identity() {
        List<String> ids = new ArrayList<>();
        bundles.values().forEach(e -> ids.add(e.bsn() + ":" + e.version()));
        Collections.sort(ids);
        return String.join(",", ids);
    }

    byte[] encode() {
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        bundles.values().forEach(e -> sb.append("bundle ").append(e.bsn()).append(' ').append(e.version()).append(' ')
                .append(e.sha256()).append(' ').append(e.location()).append('\n'));
        packages.values().forEach(p -> sb.append("package ").append(p.name()).append(' ').append(p.version())
                .append(' ').append(p.bundles().isEmpty() ? "-" : String.join(",", p.bundles())).append('\n'));
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    static BundleSet parse(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        String[] lines = text.split("\n");
        if (lines.length == 0 || !lines[0].equals(HEADER)) {
            throw new IllegalArgumentException("not a bundle set");
        }
        Map<String, Entry> b = new LinkedHashMap<>();
        Map<String, Pkg> p = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].split(" ");
            if (f.length == 5 && f[0].equals("bundle")) {
                b.put(f[1], new Entry(f[1], f[2], f[3], f[4]));
            } else if (f.length == 4 && f[0].equals("package")) {
                p.put(f[1], new Pkg(f[1], f[2], f[3].equals("-") ? List.of() : List.of(f[3].split(","))));
            } else {
                throw new IllegalArgumentException("bad bundle set line " + (i + 1));
            }
        }
        return new BundleSet(b, p);
    }
}
