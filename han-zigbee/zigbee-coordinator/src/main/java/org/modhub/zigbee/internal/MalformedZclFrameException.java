package org.modhub.zigbee.internal;

/** A ZCL frame from the HAN that does not decode: refused, logged as an event, the network goes on. */
public class MalformedZclFrameException extends Exception {
    private static final long serialVersionUID = 1L;

    public MalformedZclFrameException(String message) {
        super(message);
    }
}
