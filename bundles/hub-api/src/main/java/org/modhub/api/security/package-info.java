/**
 * Security services of the hub: verification of signed head-end commands, signing of the hub's
 * responses and alerts, payload encryption, package (OTA) signature verification and trust-store
 * queries. No service of this package ever hands out a private key: keys stay in the provider's
 * key store, and callers only ask for operations with them.
 *
 * <p>{@link org.modhub.api.security.TlsIdentity} (since 1.1) gives TLS client contexts that authenticate
 * with the hub's key without handing it out.
 *
 * <p>The signed wire form of a message is defined by {@link SignedEnvelopeCodec}; the encoding of
 * remote-party roles in organisation certificates by {@link RemotePartyRole}.
 */
@Export
@Version("1.1.0")
package org.modhub.api.security;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
