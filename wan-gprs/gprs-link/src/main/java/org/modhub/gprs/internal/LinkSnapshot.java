package org.modhub.gprs.internal;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;
import org.modhub.api.wan.LinkState;
import org.modhub.api.wan.LinkStatus;
import org.modhub.gprs.internal.at.AtResponses.SimState;
import org.modhub.gprs.internal.at.RegStatus;

/**
 * What the driver knows about the modem at one moment; immutable.
 *
 * @param state the link state
 * @param reason why the link is in that state
 * @param since when it entered the state
 * @param sim the SIM state, if read
 * @param registration the packet-domain registration, if read
 * @param accessTechnology 27.007 AcT of the serving cell, if reported
 * @param signalDbm received signal in dBm, if known
 * @param operator operator name, if registered
 * @param pdpAddress the PDP context's address, if active
 * @param imei the modem's IMEI, if read
 * @param resets reset sequences run since start
 * @param garbageLines garbage lines received since start
 */
public record LinkSnapshot(LinkState state, String reason, Instant since, Optional<SimState> sim,
        Optional<RegStatus> registration, OptionalInt accessTechnology, OptionalInt signalDbm,
        Optional<String> operator, Optional<String> pdpAddress, Optional<String> imei, int resets,
        long garbageLines) {

    static LinkSnapshot initial() {
        return new LinkSnapshot(LinkState.DOWN, "not started", Instant.now(), Optional.empty(), Optional.empty(),
                OptionalInt.empty(), OptionalInt.empty(), Optional.empty(), Optional.empty(), Optional.empty(), 0, 0);
    }

    public LinkStatus status() {
        return new LinkStatus(state, reason, since);
    }

    /**
     * Equal in what the link's service properties show: apart from {@link #since} and the counters
     * (a modem spewing garbage must not turn into a flood of service events).
     */
    boolean sameAs(LinkSnapshot o) {
        return o != null && state == o.state && reason.equals(o.reason) && sim.equals(o.sim)
                && registration.equals(o.registration) && accessTechnology.equals(o.accessTechnology)
                && signalDbm.equals(o.signalDbm) && operator.equals(o.operator) && pdpAddress.equals(o.pdpAddress)
                && imei.equals(o.imei);
    }

    /** A multi-line human-readable report (for the shell). */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("state        ").append(state).append(" since ").append(since).append('\n');
        sb.append("reason       ").append(reason).append('\n');
        sb.append("SIM          ").append(sim.map(Enum::name).orElse("?")).append('\n');
        sb.append("registration ").append(registration.map(RegStatus::text).orElse("?"));
        accessTechnology.ifPresent(a -> sb.append(" (").append(org.modhub.gprs.internal.at.Registration.technologyName(a))
                .append(')'));
        sb.append('\n');
        sb.append("operator     ").append(operator.orElse("?")).append('\n');
        sb.append("signal       ").append(signalDbm.isPresent() ? signalDbm.getAsInt() + " dBm" : "unknown").append('\n');
        sb.append("PDP address  ").append(pdpAddress.orElse("none")).append('\n');
        sb.append("IMEI         ").append(imei.orElse("?")).append('\n');
        sb.append("resets       ").append(resets).append(", garbage lines ").append(garbageLines).append('\n');
        return sb.toString();
    }
}
