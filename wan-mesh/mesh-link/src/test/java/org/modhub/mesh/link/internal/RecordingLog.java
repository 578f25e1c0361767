package org.modhub.mesh.link.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.modhub.api.event.Severity;

/** Prints what the link logs and keeps its events for assertions. */
final class RecordingLog implements MeshLog {
    record Event(Severity severity, String code, String detail) {
    }

    final List<Event> events = new CopyOnWriteArrayList<>();

    @Override
    public void debug(String message) {
    }

    @Override
    public void info(String message) {
        System.out.println("[mesh-link] " + message);
    }

    @Override
    public void warn(String message) {
        System.out.println("[mesh-link] WARN " + message);
    }

    @Override
    public void event(Severity severity, String code, String detail) {
        System.out.println("[mesh-link] EVENT " + severity + " " + code + " " + detail);
        events.add(new Event(severity, code, detail));
    }

    boolean has(String code) {
        return events.stream().anyMatch(e -> e.code().equals(code));
    }
}
