/**
 * Events: the hub's persistent event and security-audit log.
 */
@Export
@Version("1.0.0")
package org.modhub.api.event;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
