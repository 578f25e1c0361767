/**
 * The Gas Proxy Function (GPF): the hub's mirror of a battery gas meter. The HAN bundle that serves
 * a gas meter hands each push to the {@link org.modhub.api.gas.GasProxy}; head end and in-home
 * displays read the mirror instead of waking the meter.
 */
@Export
@Version("1.0.0")
package org.modhub.api.gas;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
