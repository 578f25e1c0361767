package org.modhub.mesh.gateway.internal;

/** MQTT 3.1.1 topic names and filters (section 4.7), for application topics below the hub's namespace. */
final class TopicFilters {
    private TopicFilters() {
    }

    /** A concrete application topic: not empty, no wildcards, no leading '/' or '$', no NUL. */
    static boolean isTopic(String topic) {
        return topic != null && !topic.isEmpty() && !topic.startsWith("/") && !topic.startsWith("$")
                && topic.indexOf('+') < 0 && topic.indexOf('#') < 0 && topic.indexOf('\0') < 0;
    }

    /** A valid application topic filter. */
    static boolean isFilter(String filter) {
        if (filter == null || filter.isEmpty() || filter.startsWith("/") || filter.startsWith("$")
                || filter.indexOf('\0') >= 0) {
            return false;
        }
        String[] levels = filter.split("/", -1);
        for (int i = 0; i < levels.length; i++) {
            String level = levels[i];
            if (level.contains("#") && (!level.equals("#") || i != levels.length - 1)) {
                return false;
            }
            if (level.contains("+") && !level.equals("+")) {
                return false;
            }
        }
        return true;
    }

    /** Whether an application topic matches an application filter (MQTT rules: hub-api {@code TopicFilter}). */
    static boolean matches(String filter, String topic) {
        return isFilter(filter) && org.modhub.api.wan.TopicFilter.matches(filter, topic);
    }
}
