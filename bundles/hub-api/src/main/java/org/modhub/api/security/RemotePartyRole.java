package org.modhub.api.security;

import java.util.Optional;

/**
 * The role a remote party acts in, as carried by its organisation certificate (GB SMKI style). A
 * certificate carries its role(s) as certificate policy OIDs under the modhub arc
 * {@value #OID_ARC} (a UUID-derived arc per ITU-T X.667, so it needs no registration): the role's
 * OID is {@code OID_ARC + "." + code}. A certificate without any of these policies has no role and
 * can issue no command.
 */
public enum RemotePartyRole {
    /** The SMKI root: signs Organisation and Device CA certificates; never signs commands itself. */
    ROOT(1),
    /** Recovery: the only role that may replace trust anchors. */
    RECOVERY(2),
    SUPPLIER(3),
    NETWORK_OPERATOR(4),
    ACCESS_CONTROL_BROKER(5),
    TRANSITIONAL_COS(6),
    WAN_PROVIDER(7),
    /** Issuing authority (an intermediate CA). */
    ISSUING_AUTHORITY(8),
    /** Signs firmware and OTA packages. */
    MANUFACTURER(9);

    /** The modhub OID arc for remote-party roles. */
    public static final String OID_ARC = "2.25.59590875456898235114485103245840260385.1";

    private final int code;

    RemotePartyRole(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The certificate policy OID that marks this role. */
    public String policyOid() {
        return OID_ARC + "." + code;
    }

    /** The role marked by a certificate policy OID, if it is one of modhub's. */
    public static Optional<RemotePartyRole> ofPolicyOid(String oid) {
        for (RemotePartyRole r : values()) {
            if (r.policyOid().equals(oid)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }
}
