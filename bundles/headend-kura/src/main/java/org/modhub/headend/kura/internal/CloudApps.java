package org.modhub.headend.kura.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import org.modhub.api.cloud.CloudRequestHandler;

/** The whiteboard of cloud applications: handlers by application id, highest ranking first. */
final class CloudApps {
    record Entry(String appId, int ranking, long serviceId, CloudRequestHandler handler) {
    }

    private final List<Entry> entries = new CopyOnWriteArrayList<>();

    /** Whether {@code appId} can be used as a topic level and app id. */
    static boolean validAppId(String appId) {
        return appId != null && !appId.isEmpty() && !appId.contains("/") && !appId.contains("+") && !appId.contains("#")
                && !appId.startsWith("$") && !"MQTT".equals(appId);
    }

    void add(Entry e) {
        entries.add(e);
    }

    boolean remove(CloudRequestHandler handler) {
        return entries.removeIf(e -> e.handler() == handler);
    }

    Optional<CloudRequestHandler> handler(String appId) {
        return entries.stream().filter(e -> e.appId().equals(appId))
                .max(Comparator.comparingInt(Entry::ranking).thenComparing(Comparator.comparingLong(Entry::serviceId).reversed()))
                .map(Entry::handler);
    }

    /** The application ids, sorted. */
    List<String> appIds() {
        TreeSet<String> ids = new TreeSet<>();
        entries.forEach(e -> ids.add(e.appId()));
        return new ArrayList<>(ids);
    }
}
