package org.modhub.api.han;

/** The device log has no room for another device (a join is answered "device log full"). */
public class DeviceLogFullException extends Exception {
    private static final long serialVersionUID = 1L;

    public DeviceLogFullException(int capacity) {
        super("device log full (" + capacity + " entries)");
    }
}
