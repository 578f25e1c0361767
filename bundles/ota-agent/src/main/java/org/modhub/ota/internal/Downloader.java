package org.modhub.ota.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;

/**
 * Downloads a package over HTTP(S) into {@code <target>.part}: resumable (a Range request continues a
 * partial file; a server that answers 200 instead of 206 makes it start over), size-limited (the
 * announced length and the bytes received), optionally hash-checked ({@code ALG:hex}, e.g.
 * {@code SHA256:...}), then renamed atomically to {@code target}.
 */
final class Downloader {
    record Request(String uri, String protocol, String hash, boolean resume, int blockSize, long blockDelayMs) {
    }

    private final long maxBytes;
    private final int connectTimeoutMs;
    private final int readTimeoutMs;
    private final Set<String> schemes;

    Downloader(long maxBytes, int connectTimeoutMs, int readTimeoutMs, Set<String> schemes) {
        this.maxBytes = maxBytes;
        this.connectTimeoutMs = connectTimeoutMs;
        this.readTimeoutMs = readTimeoutMs;
        this.schemes = schemes;
    }

    static URI checkUri(String uri, Set<String> schemes) throws PackageRefusedException {
        URI u;
        try {
            u = new URI(uri == null ? "" : uri);
        } catch (URISyntaxException e) {
            throw new PackageRefusedException(OtaResult.INVALID_URI, "invalid URI: " + e.getMessage());
        }
        if (u.getScheme() == null || u.getHost() == null) {
            throw new PackageRefusedException(OtaResult.INVALID_URI, "invalid URI: " + uri);
        }
        if (!schemes.contains(u.getScheme().toLowerCase(Locale.ROOT))) {
            throw new PackageRefusedException(OtaResult.UNSUPPORTED_PROTOCOL, "unsupported protocol " + u.getScheme());
        }
        return u;
    }

    /**
     * @param progress receives the number of bytes held so far
     * @return the size of the complete file
     */
    long download(Request req, Path target, AtomicBoolean cancelled, LongConsumer progress)
            throws PackageRefusedException, IOException, InterruptedException {
        URI uri = checkUri(req.uri(), schemes);
        if (req.protocol() != null && !req.protocol().isBlank()
                && !req.protocol().equalsIgnoreCase(uri.getScheme())) {
            throw new PackageRefusedException(OtaResult.UNSUPPORTED_PROTOCOL, "dp.download.protocol " + req.protocol()
                    + " does not match the URI scheme " + uri.getScheme());
        }
        MessageDigest digest = null;
        String expected = null;
        if (req.hash() != null && !req.hash().isBlank()) {
            int colon = req.hash().indexOf(':');
            if (colon < 1) {
                throw new PackageRefusedException(OtaResult.UNSUPPORTED_PACKAGE, "dp.download.hash must be ALG:hex");
            }
            String alg = req.hash().substring(0, colon).toUpperCase(Locale.ROOT);
            alg = switch (alg) {
                case "SHA256", "SHA-256" -> "SHA-256";
                case "SHA512", "SHA-512" -> "SHA-512";
                case "SHA1", "SHA-1" -> "SHA-1";
                case "MD5" -> "MD5";
                default -> throw new PackageRefusedException(OtaResult.UNSUPPORTED_PACKAGE, "unsupported hash " + alg);
            };
            try {
                digest = MessageDigest.getInstance(alg);
            } catch (NoSuchAlgorithmException e) {
                throw new PackageRefusedException(OtaResult.UNSUPPORTED_PACKAGE, "unsupported hash " + alg);
            }
            expected = req.hash().substring(colon + 1).trim().toLowerCase(Locale.ROOT);
        }
        Path part = target.resolveSibling(target.getFileName() + ".part");
        Files.createDirectories(target.toAbsolutePath().getParent());
        long have = req.resume() && Files.exists(part) ? Files.size(part) : 0;
        if (!req.resume()) {
            Files.deleteIfExists(part);
        }
        HttpURLConnection c;
        try {
            c = (HttpURLConnection) uri.toURL().openConnection();
        } catch (IllegalArgumentException e) {
            throw new PackageRefusedException(OtaResult.INVALID_URI, "invalid URI: " + e.getMessage());
        }
        c.setConnectTimeout(connectTimeoutMs);
        c.setReadTimeout(readTimeoutMs);
        c.setInstanceFollowRedirects(false);
        if (have > 0) {
            c.setRequestProperty("Range", "bytes=" + have + "-");
        }
        int code;
        try {
            code = c.getResponseCode();
        } catch (IOException e) {
            throw new PackageRefusedException(OtaResult.CONNECTION_LOST, "cannot reach " + uri.getHost() + ": " + e.getMessage());
        }
        boolean append = have > 0 && code == 206;
        if (code != 200 && !append) {
            c.disconnect();
            if (code == 416 && have > 0) {
                // the partial file is already complete (or the server lost it): start over next time
                Files.deleteIfExists(part);
            }
            throw new PackageRefusedException(code == 404 ? OtaResult.INVALID_URI : OtaResult.CONNECTION_LOST,
                    "HTTP " + code + " from " + uri);
        }
        if (!append) {
            have = 0;
        }
        final long start = have;
        long announced = c.getContentLengthLong();
        if (announced >= 0 && have + announced > maxBytes) {
            c.disconnect();
            Files.deleteIfExists(part);
            throw new PackageRefusedException(OtaResult.TOO_LARGE, "package of " + (have + announced)
                    + " bytes exceeds the limit of " + maxBytes);
        }
        int block = req.blockSize() > 0 ? Math.min(req.blockSize(), 1 << 20) : 65536;
        try (InputStream in = c.getInputStream();
                OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buf = new byte[block];
            long lastReport = 0;
            for (int n; (n = in.readNBytes(buf, 0, buf.length)) > 0;) {
                if (cancelled.get()) {
                    throw new PackageRefusedException(OtaResult.CANCELLED, "download cancelled");
                }
                have += n;
                if (have > maxBytes) {
                    out.close();
                    Files.deleteIfExists(part);
                    throw new PackageRefusedException(OtaResult.TOO_LARGE, "package exceeds the limit of " + maxBytes + " bytes");
                }
                out.write(buf, 0, n);
                if (have - lastReport >= Math.max(block, maxBytes / 100) || n < buf.length) {
                    progress.accept(have);
                    lastReport = have;
                }
                if (req.blockDelayMs() > 0) {
                    Thread.sleep(req.blockDelayMs());
                }
            }
        } catch (IOException e) {
            if (e instanceof java.nio.file.FileSystemException) {
                throw e; // our side: disk full, permissions
            }
            throw new PackageRefusedException(OtaResult.CONNECTION_LOST, "connection lost after " + have
                    + " bytes (resumable): " + e.getMessage());
        } finally {
            c.disconnect();
        }
        if (announced >= 0 && have - start < announced) {
            throw new PackageRefusedException(OtaResult.CONNECTION_LOST, "truncated download: " + have + " of " + announced);
        }
        OtaFiles.fsync(part);
        if (digest != null) {
            try (InputStream in = Files.newInputStream(part)) {
                byte[] b = new byte[65536];
                for (int n; (n = in.read(b)) > 0;) {
                    digest.update(b, 0, n);
                }
            }
            String got = HexFormat.of().formatHex(digest.digest());
            if (!got.equals(expected)) {
                Files.deleteIfExists(part);
                throw new PackageRefusedException(OtaResult.INTEGRITY_FAILURE, "download hash mismatch: expected "
                        + expected + ", got " + got);
            }
        }
        OtaFiles.move(part, target);
        progress.accept(have);
        return have;
    }
}
