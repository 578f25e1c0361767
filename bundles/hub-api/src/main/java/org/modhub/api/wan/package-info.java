/**
 * WAN link SPI: a WAN technology bundle registers a {@link org.modhub.api.wan.WanLink} for its link and a {@link org.modhub.api.wan.HeadEndSession} for the head-end session it carries.
 */
@Export
@Version("1.2.0")
package org.modhub.api.wan;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
