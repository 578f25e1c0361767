package org.modhub.gprs.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the cellular modem WAN link (PID {@value GprsLinkComponent#PID}). */
@ObjectClassDefinition(id = GprsLinkComponent.PID, name = "modhub cellular modem WAN link",
        description = "A 3GPP TS 27.007 AT-command modem on a serial port, registered as WanLink 'gprs'.")
public @interface GprsConfig {
    @AttributeDefinition(name = "Serial port", description = "Path of the modem's AT command port, e.g. /dev/ttyUSB2 or a symlink.")
    String port();

    @AttributeDefinition(name = "Baud rate", description = "Serial speed of the AT port (8N1, no flow control).",
            min = "300", max = "4000000")
    int baudRate() default 115200;

    @AttributeDefinition(name = "SIM PIN", description = "PIN entered when the SIM asks for one (4 to 8 digits; empty: none). "
            + "A refused PIN is never tried again until it is changed here.", type = AttributeType.PASSWORD, required = false)
    String pin() default "";

    @AttributeDefinition(name = "APN", description = "Access point name of the PDP context (empty: the network's default).",
            required = false)
    String apn() default "";

    @AttributeDefinition(name = "PDP type", description = "IP, IPV6 or IPV4V6.")
    String pdpType() default "IP";

    @AttributeDefinition(name = "PDP context id", description = "The context (cid) to define and activate.", min = "1", max = "24")
    int cid() default 1;

    @AttributeDefinition(name = "Signal threshold (dBm)", description = "Below this signal the link is DEGRADED.",
            min = "-113", max = "-51")
    int signalThresholdDbm() default -105;

    @AttributeDefinition(name = "Degraded when roaming", description = "Report the link DEGRADED while registered roaming.")
    boolean degradedWhenRoaming() default true;

    @AttributeDefinition(name = "Command timeout (ms)", description = "How long to wait for the answer to an ordinary command.",
            min = "100", max = "120000")
    int commandTimeoutMs() default 5000;

    @AttributeDefinition(name = "PDP activation timeout (ms)", description = "How long to wait for AT+CGACT (27.007 allows minutes).",
            min = "1000", max = "300000")
    int pdpTimeoutMs() default 60000;

    @AttributeDefinition(name = "Poll interval (ms)", description = "How often SIM, registration, signal and PDP context are checked.",
            min = "200", max = "3600000")
    int pollIntervalMs() default 15000;

    @AttributeDefinition(name = "Silent commands before reset", description = "Commands in a row without an answer before the reset sequence.",
            min = "1", max = "20")
    int silentCommandsBeforeReset() default 2;

    @AttributeDefinition(name = "Reset recovery (ms)", description = "How long a modem reboots after AT+CFUN=1,1 before the port is reopened.",
            min = "0", max = "600000")
    int resetRecoveryMs() default 10000;

    @AttributeDefinition(name = "Network interface", description = "The OS interface that carries the link's IP traffic, e.g. wwan0 (reported as wan.interface).",
            required = false)
    String interfaceName() default "";

    @AttributeDefinition(name = "Bind address", description = "Local IP address sessions bind to (reported as wan.bind.address).",
            required = false)
    String bindAddress() default "";

    @AttributeDefinition(name = "MTU", description = "Largest IP payload in bytes over the link.", min = "576", max = "9000")
    int mtu() default 1500;

    @AttributeDefinition(name = "Metered", description = "Whether traffic is charged by volume.")
    boolean metered() default true;
}
