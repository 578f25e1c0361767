package org.modhub.api.keys;

/**
 * The key service cannot serve now: its secret is missing or wrong, a stored entry was altered, or it
 * is still opening. The message names the key id, never key material.
 */
public class DeviceKeyException extends Exception {
    private static final long serialVersionUID = 1L;

    public DeviceKeyException(String message) {
        super(message);
    }

    public DeviceKeyException(String message, Throwable cause) {
        super(message, cause);
    }
}
