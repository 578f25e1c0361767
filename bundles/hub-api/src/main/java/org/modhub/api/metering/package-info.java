/**
 * Metering model: register readings and profile samples identified by OBIS code, with ZigBee SE metering attributes mapped onto the same identities.
 */
@Export
@Version("1.3.0")
package org.modhub.api.metering;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
