package org.modhub.api.wan;

import java.time.Instant;
import java.util.Objects;

/**
 * A link state with the reason it was entered and when.
 *
 * @param state the state
 * @param reason a short human-readable reason, e.g. "registered home, PDP context active" or
 *        "modem not answering"; never null
 * @param since when the link entered this state (UTC)
 */
public record LinkStatus(LinkState state, String reason, Instant since) {
    public LinkStatus {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(since, "since");
        reason = reason == null ? "" : reason;
    }

    public static LinkStatus of(LinkState state, String reason) {
        return new LinkStatus(state, reason, Instant.now());
    }
}
