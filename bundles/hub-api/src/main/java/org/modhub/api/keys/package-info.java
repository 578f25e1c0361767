/**
 * Symmetric device keys (M-Bus AES-128 for security modes 5 and 7, DLMS/COSEM block-cipher and
 * authentication keys, DLMS system titles), held by one provider that keeps them encrypted at rest and
 * hands them to the driver that needs them at use time, never as service properties nor in logs. Each
 * key id names a small set of keys, one per {@link KeyType}. Private (asymmetric) keys are not here:
 * they never leave the security provider ({@code org.modhub.api.security}).
 *
 * <p>{@link SecretSource} reads the secret a provider derives its key-encryption key from.
 */
@Export
@Version("1.0.0")
package org.modhub.api.keys;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
