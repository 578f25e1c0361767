package org.modhub.mesh.link.internal;

/** The border gateway answered something this protocol does not allow: a malformed frame or response. */
public class MeshProtocolException extends Exception {
    private static final long serialVersionUID = 1L;

    public MeshProtocolException(String message) {
        super(message);
    }
}
