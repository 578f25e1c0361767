package org.modhub.api.wan;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A WAN link (cellular modem, RF mesh, ...), registered as a service by the bundle that drives it.
 *
 * <p>Implementations register the service with the properties {@link #TECHNOLOGY} and {@link #STATE}
 * and update {@link #STATE} (and {@link #SIGNAL_DBM} where known) whenever the state changes, so
 * consumers follow the link through ordinary service-modified events.
 */
@ProviderType
public interface WanLink {
    /** Service property: technology name, e.g. "gprs", "mesh" (String). */
    String TECHNOLOGY = "wan.technology";
    /** Service property: the current {@link LinkState} name (String). */
    String STATE = "wan.state";
    /** Service property: signal in dBm, where known (Integer). */
    String SIGNAL_DBM = "wan.signal.dbm";
    /**
     * Service property of an IP-based link: the name of the operating system's network interface that
     * carries the link's traffic, e.g. "wwan0" or "ppp0" (String), where configured or known. A session
     * that runs over this link binds its sockets to it or to {@link #BIND_ADDRESS}.
     *
     * @since 1.1
     */
    String INTERFACE = "wan.interface";
    /**
     * Service property of an IP-based link: the local IP address to bind sockets to so that traffic
     * leaves through this link (String), where configured or known.
     *
     * @since 1.1
     */
    String BIND_ADDRESS = "wan.bind.address";

    /** The technology name, the same as the {@link #TECHNOLOGY} service property. */
    String technology();

    /** The current state with its reason. */
    LinkStatus status();

    /** What the link offers now. */
    LinkProperties properties();
}
