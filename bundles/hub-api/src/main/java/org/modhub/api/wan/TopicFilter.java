package org.modhub.api.wan;

/**
 * MQTT topic filter matching (MQTT 3.1.1 section 4.7): {@code +} matches exactly one level (which may be
 * empty), {@code #} as the last level matches its parent and any number of levels below it. Wildcards
 * do not match topics starting with {@code $} at the first level. The semantics of the topic filters
 * that {@link HeadEndSession#subscribe} takes; every session implementation matches with this class.
 */
public final class TopicFilter {
    private TopicFilter() {
    }

    /** Whether {@code filter} is a valid MQTT topic filter. */
    public static boolean isValid(String filter) {
        if (filter == null || filter.isEmpty()) {
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

    /** Whether the concrete {@code topic} matches {@code filter}; false for an invalid filter or topic. */
    public static boolean matches(String filter, String topic) {
        if (!isValid(filter) || topic == null || topic.isEmpty() || topic.contains("+") || topic.contains("#")) {
            return false;
        }
        String[] f = filter.split("/", -1);
        String[] t = topic.split("/", -1);
        if (topic.startsWith("$") && (f[0].equals("+") || f[0].equals("#"))) {
            return false;
        }
        for (int i = 0; i < f.length; i++) {
            if (f[i].equals("#")) {
                return true; // matches the parent level too: "a/#" matches "a"
            }
            if (i >= t.length) {
                return false;
            }
            if (!f[i].equals("+") && !f[i].equals(t[i])) {
                return false;
            }
        }
        return f.length == t.length;
    }
}
