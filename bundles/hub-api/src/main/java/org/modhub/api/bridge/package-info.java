/**
 * Consumer-HAN bridges: the read-only, filtered view of metering data that a bridge bundle (a
 * gateway to the occupier's own appliance network) may see. The metering HAN and the head end stay
 * the utility's: a bridge gets a {@link org.modhub.api.bridge.MeteringBridge}, granted per
 * {@link org.modhub.api.bridge.DataObject} by the occupier's consent (configuration), rate-limited,
 * and no way to send anything to a meter or to the head end.
 */
@Export
@Version("1.0.0")
package org.modhub.api.bridge;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
