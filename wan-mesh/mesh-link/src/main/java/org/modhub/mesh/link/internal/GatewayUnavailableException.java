package org.modhub.mesh.link.internal;

/** The border gateway is reachable but could not hand the message to the head end (5.03, 5.04). */
public class GatewayUnavailableException extends Exception {
    private static final long serialVersionUID = 1L;

    public GatewayUnavailableException(String message) {
        super(message);
    }
}
