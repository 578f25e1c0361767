package org.modhub.mesh.link.internal;

import org.modhub.api.event.Severity;

/** Where the link reports: the OSGi log and the hub's event log in a framework, anything in tests. */
public interface MeshLog {
    void debug(String message);

    void info(String message);

    void warn(String message);

    /** A hub event (code upper-case, e.g. {@code MESH_LINK_DOWN}). */
    void event(Severity severity, String code, String detail);
}
