package org.modhub.api.security;

/**
 * Message codes of the signed commands that change what the hub trusts. They are handled by the
 * security provider once the {@link CommandVerifier} has passed them; each may be issued only by the
 * roles the provider's policy lists (by default Recovery for anchors, Recovery or Access Control
 * Broker for the rest). Payloads:
 *
 * <ul>
 * <li>{@link #REPLACE_TRUST_ANCHOR}: the DER of the new self-signed root certificate; signed by a
 * Recovery certificate valid under the <em>current</em> anchor.</li>
 * <li>{@link #INSTALL_PARTY_CERTIFICATE}: the DER of an organisation (or issuing authority)
 * certificate that chains to a current anchor; the party is whitelisted.</li>
 * <li>{@link #REVOKE_CERTIFICATE}: the 32-byte SHA-256 of the DER of the certificate to revoke.</li>
 * <li>{@link #WHITELIST_ADD} / {@link #WHITELIST_REMOVE}: the 8-octet entity id.</li>
 * <li>{@link #INSTALL_HUB_CERTIFICATE}: the DER of a certificate for one of the hub's own keys,
 * issued under a current anchor.</li>
 * </ul>
 */
public final class TrustCommands {
    public static final int REPLACE_TRUST_ANCHOR = 0x0F01;
    public static final int INSTALL_PARTY_CERTIFICATE = 0x0F02;
    public static final int REVOKE_CERTIFICATE = 0x0F03;
    public static final int WHITELIST_ADD = 0x0F04;
    public static final int WHITELIST_REMOVE = 0x0F05;
    public static final int INSTALL_HUB_CERTIFICATE = 0x0F06;

    private TrustCommands() {
    }
}
