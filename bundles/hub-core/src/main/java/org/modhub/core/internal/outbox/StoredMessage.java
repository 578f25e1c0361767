package org.modhub.core.internal.outbox;

import org.modhub.api.messaging.OutboundMessage;

/** A message as stored in the outbox, with its position. */
record StoredMessage(long seq, OutboundMessage message) {
}
