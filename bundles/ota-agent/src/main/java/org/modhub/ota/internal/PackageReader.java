package org.modhub.ota.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.modhub.api.security.PackageManifest;
import org.modhub.api.security.PackageVerifier;
import org.modhub.api.security.SecurityCheckException;
import org.osgi.framework.Version;

/**
 * Opens an OTA package and checks it completely before anything is applied. A package is a zip file:
 *
 * <pre>
 * META-INF/modhub/package.manifest   PackageManifest (hub-api), signed
 * META-INF/modhub/package.sig        64-byte ECDSA P-256 r ‖ s over the manifest (Manufacturer role)
 * META-INF/modhub/downgrade.sig      optional: 8-byte Recovery party id ‖ r ‖ s over
 *                                    "modhub-package-downgrade 1\n" ‖ manifest
 * package.properties                 name=, version= (listed in the manifest)
 * *.jar                              the bundles (listed in the manifest)
 * </pre>
 *
 * Order: size and shape, manifest signature (PackageVerifier, Manufacturer role), then every file
 * against its manifest digest while it is copied into the OTA store (content-addressed, fsync'd;
 * never the framework's storage), then each bundle's headers, protection, exports, versions (higher
 * than the running one unless a valid Recovery-signed downgrade) and imports (resolvable against what
 * runs plus the package).
 */
public final class PackageReader {
    static final String MANIFEST = "META-INF/modhub/package.manifest";
    static final String SIGNATURE = "META-INF/modhub/package.sig";
    static final String DOWNGRADE = "META-INF/modhub/downgrade.sig";
    static final String PROPERTIES = "package.properties";
    static final byte[] DOWNGRADE_PREFIX = "modhub-package-downgrade 1\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    /** Checks a Recovery-role signature authorising a downgrade. */
    @FunctionalInterface
    public interface DowngradeAuthority {
        void verify(byte[] signedBytes, byte[] signerAndSignature) throws SecurityCheckException;
    }

    public record BundleFile(String bsn, Version version, String sha256, String file, List<ImportReq> imports,
            List<String> exports) {
    }

    public record ImportReq(String pkg, String range, boolean optional) {
    }

    public record Verified(String name, Version version, List<BundleFile> bundles, boolean downgrade, String signer) {
    }

    /** What the framework offers to importers: package name → versions exported. */
    public interface Environment {
        Map<String, Version> installedVersions();

        boolean exported(String pkg, org.osgi.framework.VersionRange range);
    }

    private final PackageVerifier verifier;
    private final DowngradeAuthority downgrades;
    private final Path store;
    private final long maxUnpackedBytes;
    private final Predicate<String> protectedBsn;
    private final boolean allowExports;

    public PackageReader(PackageVerifier verifier, DowngradeAuthority downgrades, Path store, long maxUnpackedBytes,
            Predicate<String> protectedBsn, boolean allowExports) {
        this.verifier = verifier;
        this.downgrades = downgrades;
        this.store = store;
        this.maxUnpackedBytes = maxUnpackedBytes;
        this.protectedBsn = protectedBsn;
        this.allowExports = allowExports;
    }

    public Verified read(Path pkg, Environment env) throws PackageRefusedException, IOException {
        if (verifier == null) {
            throw new PackageRefusedException(OtaResult.INTEGRITY_FAILURE,
                    "no package verifier (security-pki) is running: unsigned updates are refused");
        }
        try (ZipFile zip = new ZipFile(pkg.toFile())) {
            byte[] manifestBytes = entry(zip, MANIFEST, PackageManifest.MAX_BYTES, true);
            byte[] sig = entry(zip, SIGNATURE, 64, false);
            if (sig == null) {
                throw new PackageRefusedException(OtaResult.INTEGRITY_FAILURE, "unsigned package (no " + SIGNATURE + ")");
            }
            PackageManifest manifest;
            try {
                manifest = verifier.verifyManifest(manifestBytes, sig);
            } catch (SecurityCheckException e) {
                throw new PackageRefusedException(e.reason() == SecurityCheckException.Reason.MALFORMED
                        ? OtaResult.UNSUPPORTED_PACKAGE : OtaResult.INTEGRITY_FAILURE, "signature refused: " + e.getMessage(), e);
            }
            // every entry is listed, every listed file is present
            Set<String> meta = Set.of(MANIFEST, SIGNATURE, DOWNGRADE);
            List<String> names = new ArrayList<>();
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements();) {
                ZipEntry ze = en.nextElement();
                if (ze.isDirectory()) {
                    continue;
                }
                if (!meta.contains(ze.getName())) {
                    if (manifest.digest(ze.getName()) == null) {
                        throw new PackageRefusedException(OtaResult.INTEGRITY_FAILURE, "file " + ze.getName()
                                + " is not listed in the signed manifest");
                    }
                    names.add(ze.getName());
                }
            }
            for (String f : manifest.files()) {
                if (!names.contains(f)) {
                    throw new PackageRefusedException(OtaResult.UNSUPPORTED_PACKAGE, "the manifest names " + f
                            + " but the package does not contain it");
                }
            }
            // package.properties
            byte[] propBytes = entry(zip, PROPERTIES, 64 * 1024, true);
            verifyBytes(manifest, PROPERTIES, propBytes);
            Properties props = new Properties();
            props.load(new ByteArrayInputStream(propBytes));
            String name = props.getProperty("name", "");
            if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
                throw new PackageRefusedException(OtaResult.UNSUPPORTED_PACKAGE, "package.properties: bad name '" + name + "'");
            }
            Version version = version(props.getProperty("version", ""), "package.properties version");
            // bundles: copy into the store while checking their digests
            Files.createDirectories(store);
            long unpacked = propBytes.length;
            List<BundleFile> bundles = new ArrayList<>();
            Map<String, BundleFile> byBsn = new LinkedHashMap<>();
            for (String f : names) {
                if (f.equals(PROPERTIES)) {
                    continue;
                }
                if (!f.endsWith(".jar")) {
                    throw new PackageRefusedException(OtaResult.UNSUPPORTED_PACKAGE, "unexpected file " + f);
                }
                ZipEntry ze = zip.getEntry(f);
                Path tmp = store.resolve("incoming-" + UUID.randomUUID() + ".tmp");
                String sha;
                try {
                    try (InputStream in = new LimitedInputStream(zip.getInputStream(ze), maxUnpackedBytes - unpacked)) {
                        sha = OtaFiles.copyAtomically(in, tmp);
                    }
                    unpacked += Files.size(tmp);
                    try (InputStream in = Files.newInputStream(tmp)) {
                        verifier.verifyFile(manifest, f, in);
                    } catch (SecurityCheckException e) {
                        throw new PackageRefusedException(OtaResult.INTEGRITY_FAILURE, e.getMessage(), e);
                    }
                    BundleFile bf = bundleHeaders(tmp, sha, f);
                    if (byBsn.put(bf.bsn(), bf) != null) {
                        throw new PackageRefusedException(OtaResult.UNSUPPORTED_PACKAGE, "bundle " + bf.bsn() + " twice");
                    }
                    Path target = store.resolve(sha + ".jar");
                    if (Files.exists(target)) {
                        Files.delete(tmp);
                    } else {
                        OtaFiles.move(tmp, target);
                    }
                    bundles.add(bf);
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            if (bundles.isEmpty()) {
                throw new PackageRefusedException(OtaResult.UNSUPPORTED_PACKAGE, "the package contains no bundle");
            }
            // protection, exports, versions
            boolean needsDowngrade = false;
            Map<String, Version> running = env.installedVersions();
            for (BundleFile b : bundles) {
                if (protectedBsn.test(b.bsn())) {
                    throw new PackageRefusedException(OtaResult.UNSUPPORTED_PACKAGE, b.bsn()
                            + " is part of the hub image and cannot be updated over the air");
                }
                if (!allowExports && !b.exports().isEmpty()) {
                    throw new PackageRefusedException(OtaResult.UNSUPPORTED_PACKAGE, b.bsn() + " exports packages "
                            + b.exports() + ": API bundles are never updated in place");
                }
                Version now = running.get(b.bsn());
                if (now != null && b.version().compareTo(now) < 0) {
                    needsDowngrade = true;
                }
            }
            if (needsDowngrade) {
                byte[] ds = entry(zip, DOWNGRADE, 72, false);
                if (ds == null) {
                    throw new PackageRefusedException(OtaResult.UNSUPPORTED_PACKAGE,
                            "version downgrade refused: versions must increase unless a Recovery-signed downgrade says otherwise");
                }
                byte[] signed = new byte[DOWNGRADE_PREFIX.length + manifestBytes.length];
                System.arraycopy(DOWNGRADE_PREFIX, 0, signed, 0, DOWNGRADE_PREFIX.length);
                System.arraycopy(manifestBytes, 0, signed, DOWNGRADE_PREFIX.length, manifestBytes.length);
                try {
                    downgrades.verify(signed, ds);
                } catch (SecurityCheckException e) {
                    throw new PackageRefusedException(OtaResult.INTEGRITY_FAILURE, "downgrade signature refused: "
                            + e.getMessage(), e);
                }
            }
            // imports resolvable against what runs (minus what the package replaces) plus the package
            Map<String, List<Version>> offered = new LinkedHashMap<>();
            for (BundleFile b : bundles) {
                for (String ex : b.exports()) {
                    offered.computeIfAbsent(ex, k -> new ArrayList<>()).add(Version.emptyVersion);
                }
            }
            for (BundleFile b : bundles) {
                for (ImportReq r : b.imports()) {
                    if (r.optional() || offered.containsKey(r.pkg())) {
                        continue;
                    }
                    org.osgi.framework.VersionRange range;
                    try {
                        range = r.range().isEmpty() ? new org.osgi.framework.VersionRange("0.0.0")
                                : new org.osgi.framework.VersionRange(r.range());
                    } catch (IllegalArgumentException e) {
                        throw new PackageRefusedException(OtaResult.UNSUPPORTED_PACKAGE, b.bsn() + ": bad version range "
                                + r.range() + " for " + r.pkg());
                    }
                    if (!env.exported(r.pkg(), range)) {
                        throw new PackageRefusedException(OtaResult.UNSUPPORTED_PACKAGE, b.bsn() + " cannot resolve: nothing exports "
                                + r.pkg() + " " + range);
                    }
                }
            }
            return new Verified(name, version, List.copyOf(bundles), needsDowngrade, manifest.signer().toHex());
        } catch (ZipException e) {
            throw new PackageRefusedException(OtaResult.UNSUPPORTED_PACKAGE, "not a package (zip): " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new PackageRefusedException(OtaResult.UNSUPPORTED_PACKAGE, "malformed package: " + e.getMessage(), e);
        }
    }

    private void verifyBytes(PackageManifest manifest, String name, byte[] bytes) throws PackageRefusedException, IOException {
        try {
            verifier.verifyFile(manifest, name, new ByteArrayInputStream(bytes));
        } catch (SecurityCheckException e) {
            throw new PackageRefusedException(OtaResult.INTEGRITY_FAILURE, e.getMessage(), e);
        }
    }

    private static byte[] entry(ZipFile zip, String name, int max, boolean required) throws IOException, PackageRefusedException {
        ZipEntry e = zip.getEntry(name);
        if (e == null) {
            if (required) {
                throw new PackageRefusedException(OtaResult.UNSUPPORTED_PACKAGE, "the package lacks " + name);
            }
            return null;
        }
        try (InputStream in = zip.getInputStream(e)) {
            byte[] b = in.readNBytes(max + 1);
            if (b.length > max) {
                throw new PackageRefusedException(OtaResult.UNSUPPORTED_PACKAGE, name + " is larger than " + max + " bytes");
            }
            return b;
        }
    }

    private static Version version(String s, String what) throws PackageRefusedException {
        try {
            return Version.parseVersion(s.trim().isEmpty() ? "x" : s.trim());
        } catch (IllegalArgumentException e) {
            throw new PackageRefusedException(OtaResult.UNSUPPORTED_PACKAGE, what + ": bad version '" + s + "'");
        }
    }

    static BundleFile bundleHeaders(Path jar, String sha, String file) throws IOException, PackageRefusedException {
        Manifest mf;
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            mf = in.getManifest();
        }
        if (mf == null) {
            throw new PackageRefusedException(OtaResult.UNSUPPORTED_PACKAGE, file + " is not a bundle (no manifest)");
        }
        var a = mf.getMainAttributes();
        String bsn = a.getValue("Bundle-SymbolicName");
        if (bsn == null || !"2".equals(String.valueOf(a.getValue("Bundle-ManifestVersion")).trim())) {
            throw new PackageRefusedException(OtaResult.UNSUPPORTED_PACKAGE, file + " is not an OSGi R4+ bundle");
        }
        bsn = bsn.split(";")[0].trim();
        if (!bsn.matches("[A-Za-z0-9._-]{1,128}")) {
            throw new PackageRefusedException(OtaResult.UNSUPPORTED_PACKAGE, file + ": bad symbolic name " + bsn);
        }
        Version v = version(a.getValue("Bundle-Version") == null ? "0.0.0" : a.getValue("Bundle-Version"), file);
        List<ImportReq> imports = new ArrayList<>();
        for (String clause : clauses(a.getValue("Import-Package"))) {
            String[] parts = clause.split(";");
            String range = "";
            boolean optional = false;
            for (int i = 1; i < parts.length; i++) {
                String p = parts[i].trim();
                if (p.startsWith("version=")) {
                    range = p.substring(8).replace("\"", "").trim();
                } else if (p.replace(" ", "").equals("resolution:=optional")) {
                    optional = true;
                }
            }
            imports.add(new ImportReq(parts[0].trim(), range, optional));
        }
        List<String> exports = new ArrayList<>();
        for (String clause : clauses(a.getValue("Export-Package"))) {
            exports.add(clause.split(";")[0].trim());
        }
        return new BundleFile(bsn, v, sha, file, List.copyOf(imports), List.copyOf(exports));
    }

    /** Splits a manifest header into clauses at commas outside quotes. */
    static List<String> clauses(String header) {
        if (header == null || header.isBlank()) {
            return Collections.emptyList();
        }
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (char c : header.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == ',' && !quoted) {
                out.add(cur.toString().trim());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        if (!cur.toString().isBlank()) {
            out.add(cur.toString().trim());
        }
        return out;
    }

    /** Refuses more than {@code limit} bytes (a zip bomb or an oversized bundle). */
    static final class LimitedInputStream extends java.io.FilterInputStream {
        private long left;

        LimitedInputStream(InputStream in, long limit) {
            super(in);
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            byte[] b = new byte[1];
            return read(b, 0, 1) < 0 ? -1 : b[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                left -= n;
                if (left < 0) {
                    throw new PackageTooLargeException();
                }
            }
            return n;
        }
    }

    static final class PackageTooLargeException extends IOException {
        private static final long serialVersionUID = 1L;

        PackageTooLargeException() {
            super("the package unpacks to more than the configured maximum");
        }
    }

    static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toByteArray();
    }
}
