package org.modhub.bench.probe;

import java.lang.management.ManagementFactory;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * The peer of {@code bench/run startup}: one immediate DS component in a bare Felix + SCR +
 * ConfigAdmin + MetaType framework. It prints the time since JVM start when it activates, measured
 * exactly as hub-core measures its READY line.
 */
@Component(immediate = true)
public class BareProbe {
    @Activate
    void activate() {
        long ms = System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
        System.out.println("BARE READY in " + ms + " ms");
    }
}
