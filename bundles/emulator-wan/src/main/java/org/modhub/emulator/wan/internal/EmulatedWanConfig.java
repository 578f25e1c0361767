package org.modhub.emulator.wan.internal;

import org.modhub.api.wan.LinkState;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the emulated WAN link (PID {@value EmulatedWanLink#PID}). */
@ObjectClassDefinition(id = EmulatedWanLink.PID, name = "modhub emulated WAN link",
        description = "An emulated WAN link and head end for development and tests.")
@interface EmulatedWanConfig {
    @AttributeDefinition(name = "Link state", description = "State of the emulated link: UP, DOWN, CONNECTING or DEGRADED.")
    LinkState state() default LinkState.UP;

    @AttributeDefinition(name = "Latency (ms)", description = "Delay before a publish is confirmed, 0..60000 ms.",
            min = "0", max = "60000")
    int latencyMs() default 0;

    @AttributeDefinition(name = "Fail every n-th publish", description = "Refuse every n-th publish (0 = never), to exercise retries.",
            min = "0")
    int failEveryNth() default 0;

    @AttributeDefinition(name = "MTU", description = "Largest payload in bytes one publish may carry.", min = "1",
            max = "1048576")
    int mtu() default 1500;

    @AttributeDefinition(name = "Head-end preference", description = "Preference of this session among head-end sessions, higher first.")
    int headend_preference() default 0;
}
