package org.modhub.pki.internal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.modhub.api.common.Eui64;
import org.modhub.api.security.KeyUse;
import org.modhub.api.security.RemoteParty;
import org.modhub.api.security.RemotePartyRole;
import org.modhub.api.security.SecurityCheckException;
import org.modhub.api.security.SecurityCheckException.Reason;
import org.modhub.api.store.StateStore;

/**
 * What the hub trusts, kept in the {@link StateStore} (certificates are public: only private keys
 * live in the key store) and mirrored in memory. Every change is one durable write, made only after
 * every check passed, so a refused change leaves nothing behind.
 *
 * <p>Keys in namespace {@value #NAMESPACE}: {@code anchors} (the root certificates, length-prefixed
 * DER, replaced as a whole), {@code ca/<fp>} (issuing authority certificates), {@code party/<eui>/SIG}
 * and {@code party/<eui>/KA} (remote parties' certificates), {@code wl/<eui>} (whitelist flag, 1 or
 * 0), {@code revoked/<fp>} (revoked certificate fingerprints).
 */
public final class TrustState {
    public static final String NAMESPACE = "org.modhub.pki.trust";
    private static final int MAX_DEPTH = 4;

    private final StateStore store;
    private volatile List<Certificates.Info> anchors = List.of();
    private final Map<String, Certificates.Info> cas = new ConcurrentHashMap<>();
    private final Map<Eui64, Map<KeyUse, Certificates.Info>> parties = new ConcurrentHashMap<>();
    private final Map<Eui64, Boolean> whitelist = new ConcurrentHashMap<>();
    private final Set<String> revoked = ConcurrentHashMap.newKeySet();
    /** Fingerprints whose signature chain verified, with the anchor generation they verified under. */
    private final Map<String, Long> verified = new ConcurrentHashMap<>();
    private volatile long generation;

    public TrustState(StateStore store) {
        this.store = store;
        reload();
    }

    /** Reads everything from the store; entries that no longer parse are skipped (and reported). */
    public synchronized List<String> reload() {
        List<String> problems = new ArrayList<>();
        Map<String, byte[]> all = store.entries(NAMESPACE);
        List<Certificates.Info> a = new ArrayList<>();
        cas.clear();
        parties.clear();
        whitelist.clear();
        revoked.clear();
        all.forEach((key, value) -> {
            try {
                if (key.equals("anchors")) {
                    for (byte[] der : split(value)) {
                        a.add(Certificates.parse(der));
                    }
                } else if (key.startsWith("ca/")) {
                    Certificates.Info i = Certificates.parse(value);
                    cas.put(i.fingerprint(), i);
                } else if (key.startsWith("party/")) {
                    Certificates.Info i = Certificates.parse(value);
                    parties.computeIfAbsent(i.entityId().orElseThrow(), k -> new ConcurrentHashMap<>())
                            .put(i.keyUse().orElseThrow(), i);
                } else if (key.startsWith("wl/")) {
                    whitelist.put(Eui64.parse(key.substring(3)), value.length == 1 && value[0] == 1);
                } else if (key.startsWith("revoked/")) {
                    revoked.add(key.substring(8));
                }
            } catch (SecurityCheckException | RuntimeException e) {
                problems.add(key + ": " + e.getMessage());
            }
        });
        anchors = List.copyOf(a);
        verified.clear();
        generation++;
        return problems;
    }

    static byte[] join(List<byte[]> ders) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] d : ders) {
            out.writeBytes(ByteBuffer.allocate(4).putInt(d.length).array());
            out.writeBytes(d);
        }
        return out.toByteArray();
    }

    static List<byte[]> split(byte[] blob) {
        List<byte[]> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(blob);
        while (b.hasRemaining()) {
            int n = b.getInt();
            if (n <= 0 || n > b.remaining()) {
                throw new IllegalArgumentException("corrupt anchor list");
            }
            byte[] d = new byte[n];
            b.get(d);
            out.add(d);
        }
        return out;
    }

    public boolean isAnchor(String fingerprint) {
        return anchors.stream().anyMatch(a -> a.fingerprint().equals(fingerprint));
    }

    public boolean hasAnchors() {
        return !anchors.isEmpty();
    }

    public List<X509Certificate> anchors() {
        return anchors.stream().map(Certificates.Info::certificate).toList();
    }

    /**
     * Checks that {@code cert} is currently valid: not revoked, within its validity, and chaining to a
     * current anchor through valid, unrevoked CA certificates whose signatures verify.
     */
    public void validate(Certificates.Info cert, Instant now) throws SecurityCheckException {
        Certificates.Info current = cert;
        for (int depth = 0; depth <= MAX_DEPTH; depth++) {
            checkTimeAndRevocation(current, now);
            for (Certificates.Info anchor : anchors) {
                if (anchor.fingerprint().equals(current.fingerprint())) {
                    return;
                }
            }
            Certificates.Info issuer = issuerOf(current);
            if (issuer == null) {
                throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "certificate "
                        + current.fingerprint().substring(0, 16) + " does not chain to a current trust anchor");
            }
            checkSignature(current, issuer);
            current = issuer;
        }
        throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "certificate chain longer than " + MAX_DEPTH);
    }

    private void checkTimeAndRevocation(Certificates.Info c, Instant now) throws SecurityCheckException {
        if (revoked.contains(c.fingerprint())) {
            throw new SecurityCheckException(Reason.CERTIFICATE_REVOKED, "certificate "
                    + c.fingerprint().substring(0, 16) + " is revoked");
        }
        // the certificate parses its dates on every call: read them once per certificate
        long[] validity = validities.computeIfAbsent(c.fingerprint(), f -> new long[] {
            c.certificate().getNotBefore().getTime(), c.certificate().getNotAfter().getTime()});
        long at = now.toEpochMilli();
        if (at < validity[0]) {
            throw new SecurityCheckException(Reason.CERTIFICATE_NOT_YET_VALID, "certificate "
                    + c.fingerprint().substring(0, 16) + " is valid from " + Instant.ofEpochMilli(validity[0]));
        }
        if (at > validity[1]) {
            throw new SecurityCheckException(Reason.CERTIFICATE_EXPIRED, "certificate "
                    + c.fingerprint().substring(0, 16) + " expired " + Instant.ofEpochMilli(validity[1]));
        }
    }

    /** notBefore and notAfter (epoch ms) by certificate fingerprint. */
    private final Map<String, long[]> validities = new ConcurrentHashMap<>();

    private Certificates.Info issuerOf(Certificates.Info c) {
        for (Certificates.Info a : anchors) {
            if (issues(a, c)) {
                return a;
            }
        }
        for (Certificates.Info i : cas.values()) {
            if (issues(i, c) && !i.fingerprint().equals(c.fingerprint())) {
                return i;
            }
        }
        return null;
    }

    private static boolean issues(Certificates.Info issuer, Certificates.Info c) {
        return issuer.ca() && Arrays.equals(issuer.subjectKeyId(), c.authorityKeyId())
                && issuer.certificate().getSubjectX500Principal().equals(c.certificate().getIssuerX500Principal());
    }

    private void checkSignature(Certificates.Info c, Certificates.Info issuer) throws SecurityCheckException {
        String key = c.fingerprint() + "/" + issuer.fingerprint();
        Long g = verified.get(key);
        if (g != null && g == generation) {
            return;
        }
        try {
            c.certificate().verify(issuer.publicKey(), Crypto.BC);
        } catch (Exception e) {
            throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "certificate "
                    + c.fingerprint().substring(0, 16) + " signature does not verify under its issuer");
        }
        verified.put(key, generation);
    }

    /** A party's certificate of one key use, if installed. */
    public Optional<Certificates.Info> certificate(Eui64 party, KeyUse use) {
        Map<KeyUse, Certificates.Info> m = parties.get(party);
        return m == null ? Optional.empty() : Optional.ofNullable(m.get(use));
    }

    public boolean whitelisted(Eui64 party) {
        return whitelist.getOrDefault(party, false);
    }

    public boolean isRevoked(String fingerprint) {
        return revoked.contains(fingerprint);
    }

    public List<RemoteParty> parties() {
        Set<Eui64> ids = new HashSet<>(parties.keySet());
        ids.addAll(whitelist.keySet());
        return ids.stream().sorted().map(id -> party(id).orElseThrow()).toList();
    }

    public Optional<RemoteParty> party(Eui64 id) {
        Map<KeyUse, Certificates.Info> m = parties.get(id);
        if (m == null && !whitelist.containsKey(id)) {
            return Optional.empty();
        }
        Optional<Certificates.Info> sig = certificate(id, KeyUse.DIGITAL_SIGNATURE);
        Optional<Certificates.Info> ka = certificate(id, KeyUse.KEY_AGREEMENT);
        Set<RemotePartyRole> roles = EnumSet.noneOf(RemotePartyRole.class);
        sig.ifPresent(i -> roles.addAll(i.roles()));
        return Optional.of(new RemoteParty(id, roles, sig.map(Certificates.Info::certificate),
                ka.map(Certificates.Info::certificate), whitelisted(id)));
    }

    // ---- changes: each is checked first, then made in one durable write ----

    /** Installs the first anchors (provisioning); refused once anchors exist. */
    public synchronized void provisionAnchors(List<Certificates.Info> roots) throws SecurityCheckException {
        if (hasAnchors()) {
            throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "trust anchors are already provisioned");
        }
        for (Certificates.Info r : roots) {
            checkRoot(r);
        }
        if (!store.compareAndSet(NAMESPACE, "anchors", null, join(roots.stream().map(Certificates.Info::der).toList()))) {
            throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "trust anchors changed concurrently");
        }
        reload();
    }

    static void checkRoot(Certificates.Info r) throws SecurityCheckException {
        if (!r.ca() || !r.selfIssued()) {
            throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "a trust anchor must be a self-signed CA");
        }
        try {
            r.certificate().verify(r.publicKey(), Crypto.BC);
        } catch (Exception e) {
            throw new SecurityCheckException(Reason.CERTIFICATE_INVALID, "trust anchor self-signature does not verify");
        }
    }

    /**
     * Replaces all anchors by {@code root} and installs {@code certificates} (parties and issuing
     * authorities re-issued under it). Everything is checked against the new anchor before anything
     * is written; the caller has checked the Recovery signature under the current anchor.
     */
    public synchronized void replaceAnchors(Certificates.Info root, List<Certificates.Info> certificates, Instant now)
            throws SecurityCheckException {
        checkRoot(root);
        checkTimeAndRevocation(root, now);
        TrustState trial = new TrustState(this, root);
        for (Certificates.Info c : certificates) {
            if (c.ca()) {
                trial.cas.put(c.fingerprint(), c);
            }
        }
        for (Certificates.Info c : certificates) {
            trial.validate(c, now);
        }
        store.put(NAMESPACE, "anchors", join(List.of(root.der())));
        for (Certificates.Info c : certificates) {
            write(c);
        }
        reload();
    }

    /** A scratch copy with other anchors, for checking certificates before a replacement. */
    private TrustState(TrustState from, Certificates.Info root) {
        this.store = from.store;
        this.anchors = List.of(root);
        this.cas.putAll(from.cas);
        this.revoked.addAll(from.revoked);
    }

    private void write(Certificates.Info cert) {
        if (cert.ca()) {
            store.put(NAMESPACE, "ca/" + cert.fingerprint(), cert.der());
        } else {
            Eui64 id = cert.entityId().orElseThrow();
            String use = cert.keyUse().orElseThrow() == KeyUse.DIGITAL_SIGNATURE ? "SIG" : "KA";
            store.put(NAMESPACE, "party/" + id.toHex() + "/" + use, cert.der());
            if (!whitelist.containsKey(id)) {
                store.put(NAMESPACE, "wl/" + id.toHex(), new byte[] {1});
            }
        }
    }

    /** Installs a party or issuing-authority certificate that validates under the current anchors. */
    public synchronized void install(Certificates.Info cert, Instant now) throws SecurityCheckException {
        validate(cert, now);
        write(cert);
        reload();
    }

    public synchronized void revoke(String fingerprint) {
        store.put(NAMESPACE, "revoked/" + fingerprint, new byte[] {1});
        revoked.add(fingerprint);
    }

    public synchronized void whitelist(Eui64 party, boolean permitted) {
        store.put(NAMESPACE, "wl/" + party.toHex(), new byte[] {(byte) (permitted ? 1 : 0)});
        whitelist.put(party, permitted);
    }

    /** For diagnostics: how many certificates of each kind. */
    public Map<String, Integer> counts() {
        Map<String, Integer> m = new HashMap<>();
        m.put("anchors", anchors.size());
        m.put("cas", cas.size());
        m.put("parties", parties.size());
        m.put("revoked", revoked.size());
        return m;
    }
}
