package org.modhub.gprs.internal;

/**
 * Gogo shell commands of the cellular link ({@code gprs:status}); registered by the component with
 * {@code osgi.command.scope=gprs}, so the shell is optional.
 */
public final class GprsCommands {
    private final GprsLinkComponent link;

    GprsCommands(GprsLinkComponent link) {
        this.link = link;
    }

    /** The link's state, reason, SIM, registration, operator, signal, PDP address and counters. */
    public String status() {
        return "cellular link on " + link.settings().port() + "\n" + link.snapshot().describe();
    }
}
