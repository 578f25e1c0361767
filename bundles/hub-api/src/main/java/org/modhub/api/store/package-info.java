/**
 * Durable state owned by hub-core for bundles that need to keep small state across restarts and updates.
 */
@Export
@Version("1.0.0")
package org.modhub.api.store;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
