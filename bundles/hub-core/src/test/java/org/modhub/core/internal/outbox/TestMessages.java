package org.modhub.core.internal.outbox;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import org.modhub.api.messaging.OutboundMessage;

/** Deterministic test messages: the payload is derived from the id, so it can be checked after a crash. */
final class TestMessages {
    private TestMessages() {
    }

    static OutboundMessage message(String id, int priority) {
        return new OutboundMessage(id, "test/" + (priority), priority, 1, Instant.ofEpochMilli(1_700_000_000_000L),
                payload(id));
    }

    static byte[] payload(String id) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] seed = sha.digest(id.getBytes(StandardCharsets.UTF_8));
            int length = 40 + (seed[0] & 0xFF) * 2;
            byte[] out = new byte[length];
            for (int i = 0; i < length; i += seed.length) {
                System.arraycopy(seed, 0, out, i, Math.min(seed.length, length - i));
                seed = sha.digest(seed);
            }
            return out;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
