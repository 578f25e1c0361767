/**
 * Power-monitor SPI: a bundle that watches the hub's mains supply (Linux sysfs power_supply, a GPIO
 * line, an emulator) registers a {@link org.modhub.api.power.PowerMonitor}; consumers such as the
 * last-gasp handler follow its state through service properties.
 */
@Export
@Version("1.0.0")
package org.modhub.api.power;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
