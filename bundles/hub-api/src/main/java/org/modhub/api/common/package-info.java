/**
 * Identities and value types shared by every modhub contract (EUI-64 entity ids).
 */
@Export
@Version("1.0.0")
package org.modhub.api.common;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
