/**
 * Messaging: command, response and alert envelopes, the message router, handlers and the durable outbox towards the head end.
 */
@Export
@Version("1.3.0")
package org.modhub.api.messaging;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
