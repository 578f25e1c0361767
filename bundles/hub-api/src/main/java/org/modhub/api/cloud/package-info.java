/**
 * Cloud applications: the request/response contract of a Kura-compatible head end (a whiteboard of
 * {@link org.modhub.api.cloud.CloudRequestHandler}s keyed by application id) and the exact wire mapping
 * of outbox messages onto a KuraPayload ({@link org.modhub.api.cloud.KuraDataCodec}), shared by every
 * path to the head end (MQTT session, mesh border gateway) so the head end sees identical bytes.
 */
@Export
@Version("1.0.0")
package org.modhub.api.cloud;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
