package org.modhub.api.security;

/** What a key (and its certificate) is for: each key has exactly one use (GB SMKI device profile). */
public enum KeyUse {
    /** ECDSA P-256 signatures (keyUsage digitalSignature). */
    DIGITAL_SIGNATURE,
    /** ECDH P-256 key agreement (keyUsage keyAgreement). */
    KEY_AGREEMENT
}
