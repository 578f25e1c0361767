package org.modhub.ota.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(id = OtaAgent.PID, name = "modhub OTA agent",
        description = "DEPLOY-V2 compatible over-the-air bundle updates with health check and rollback")
public @interface OtaConfig {
    @AttributeDefinition(description = "Largest package accepted, in bytes (download and unpacked)")
    long maxPackageBytes() default 64L << 20;

    @AttributeDefinition(description = "Health-check window after an apply, in seconds")
    int healthWindowSeconds() default 60;

    @AttributeDefinition(description = "Restarts during a trial after which the boot guard restores the known-good set")
    int maxFailedStarts() default 2;

    @AttributeDefinition(description = "If a head-end session was connected before the apply, require a round trip "
            + "(a QoS 1 publish acknowledged) over one afterwards")
    boolean requireHeadEnd() default true;

    @AttributeDefinition(description = "Require meter reads to work after the apply: the metering store answers, "
            + "and if meters of the device log were read at least twice within the health window before the apply, "
            + "a newer reading of one of them arrives within the window")
    boolean requireMeterReads() default true;

    @AttributeDefinition(description = "Bundles never updated over the air (a trailing * matches a prefix)")
    String[] protectedBundles() default { "org.modhub.ota-agent", "org.modhub.hub-api", "org.apache.felix.*",
            "org.osgi.*" };

    @AttributeDefinition(description = "Allow bundles that export packages (API bundles are never updated in place)")
    boolean allowExports() default false;

    @AttributeDefinition(description = "Download URI schemes")
    String[] schemes() default { "http", "https" };

    @AttributeDefinition(description = "Connect timeout of a download, ms")
    int connectTimeoutMs() default 15000;

    @AttributeDefinition(description = "Read timeout of a download, ms")
    int readTimeoutMs() default 30000;
}
