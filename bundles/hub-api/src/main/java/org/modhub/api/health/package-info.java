/**
 * Health: the hub's overall and per-component health, and the whiteboard through which components contribute their own state.
 */
@Export
@Version("1.0.0")
package org.modhub.api.health;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
