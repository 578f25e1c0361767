/**
 * HAN SPI: HAN networks and devices, and the device log (the whitelist of devices allowed on the HAN).
 */
@Export
@Version("1.2.0")
package org.modhub.api.han;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
