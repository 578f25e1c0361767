package org.modhub.mesh.gateway.internal;

/** Bytes from the mesh that are not a well-formed frame of the hub-to-gateway protocol. */
public final class MeshFrameException extends Exception {
    private static final long serialVersionUID = 1L;

    public MeshFrameException(String message) {
        super(message);
    }
}
