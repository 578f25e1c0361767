package org.modhub.itest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;

/**
 * Listens on the emulated head end's RECEIVED events for the messages of one test run (application
 * topic {@code itest/<run>/...}, payload {@code run=<run>;seq=<n>;p=<priority>}).
 */
final class HeadEndProbe implements EventHandler, AutoCloseable {
    static final String TOPIC_RECEIVED = "org/modhub/emulator/headend/RECEIVED";

    /** A received message of the run. */
    record Msg(int seq, int priority, String topic, long received) {
    }

    private final String run;
    private final ServiceRegistration<EventHandler> registration;
    private final List<Msg> received = new ArrayList<>();
    private final Map<Integer, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final AtomicInteger foreign = new AtomicInteger();

    HeadEndProbe(BundleContext context, String run) {
        this.run = run;
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(EventConstants.EVENT_TOPIC, TOPIC_RECEIVED);
        registration = context.registerService(EventHandler.class, this, props);
    }

    static String topic(String run) {
        return "itest/" + run + "/data";
    }

    static byte[] payload(String run, int seq, int priority) {
        return ("run=" + run + ";seq=" + seq + ";p=" + priority).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void handleEvent(Event event) {
        Object payload = event.getProperty("payload");
        Object topic = event.getProperty("topic");
        Object when = event.getProperty("received");
        if (!(payload instanceof byte[] bytes) || !(topic instanceof String t)) {
            foreign.incrementAndGet();
            return;
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (!text.startsWith("run=" + run + ";")) {
            foreign.incrementAndGet();
            return;
        }
        int seq = -1;
        int priority = -1;
        for (String part : text.split(";")) {
            if (part.startsWith("seq=")) {
                seq = Integer.parseInt(part.substring(4));
            } else if (part.startsWith("p=")) {
                priority = Integer.parseInt(part.substring(2));
            }
        }
        Msg m = new Msg(seq, priority, t, when instanceof Long l ? l : -1L);
        synchronized (received) {
            received.add(m);
        }
        counts.computeIfAbsent(seq, k -> new AtomicInteger()).incrementAndGet();
    }

    /** All received messages of the run, in arrival order (duplicates included). */
    List<Msg> received() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    int total() {
        synchronized (received) {
            return received.size();
        }
    }

    /** How many times message {@code seq} was received. */
    int count(int seq) {
        AtomicInteger c = counts.get(seq);
        return c == null ? 0 : c.get();
    }

    boolean hasAll(int fromSeq, int toSeqExclusive) {
        for (int s = fromSeq; s < toSeqExclusive; s++) {
            if (count(s) == 0) {
                return false;
            }
        }
        return true;
    }

    int distinctIn(int fromSeq, int toSeqExclusive) {
        int n = 0;
        for (int s = fromSeq; s < toSeqExclusive; s++) {
            if (count(s) > 0) {
                n++;
            }
        }
        return n;
    }

    @Override
    public void close() {
        try {
            registration.unregister();
        } catch (IllegalStateException e) {
            // already gone
        }
    }
}
