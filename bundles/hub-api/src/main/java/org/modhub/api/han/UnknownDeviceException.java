package org.modhub.api.han;

import org.modhub.api.common.Eui64;

/** The device is not in the device log, or not on this network. */
public class UnknownDeviceException extends Exception {
    private static final long serialVersionUID = 1L;

    public UnknownDeviceException(Eui64 device, String why) {
        super(device + ": " + why);
    }
}
