package org.modhub.zigbee.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.modhub.zigbee.emulator.internal.GasMeter;

/**
 * The emulated gas meter's own memory (what lets it outlive a hub restart or kill in the dev variant):
 * a round trip keeps registers, clock and history; the wake-ups that fell while the hub was down are
 * captured on restore at the times they would have had; a malformed memory is refused.
 */
class GasMeterMemoryTest {
    static final byte[] CODE = new byte[18];

    @Test
    void restoreKeepsEverythingAndCapturesTheWakeUpsMissedWhileTheHubWasDown() {
        GasMeter before = new GasMeter(0x000D6F0000650002L, CODE, 1_000_000, 1000, 1000);
        long now = System.currentTimeMillis();
        before.setClock(Instant.ofEpochMilli(now).minus(Duration.ofHours(10)), Duration.ofMinutes(30));
        byte[] empty = before.memory();

        GasMeter fresh = new GasMeter(0x000D6F0000650002L, CODE, 5, 1000, 1000);
        assertEquals(0, fresh.restore(empty, 1000, now + 60_000), "no wake-up stored yet: nothing to catch up");
        assertEquals(1_000_000, fresh.litres());
        assertArrayEquals(empty, fresh.memory());

        // one stored wake-up (restored from a memory that had one), then 5 s of downtime at 1 s per wake-up
        byte[] withCapture = withOneCapture(empty, now);
        GasMeter after = new GasMeter(0x000D6F0000650002L, CODE, 5, 1000, 1000);
        assertEquals(5, after.restore(withCapture, 1000, now + 5_500));
        assertEquals(1_000_037 + 5 * 37, after.litres());
        List<long[]> h = after.history();
        assertEquals(6, h.size());
        for (int i = 1; i < h.size(); i++) {
            // the clock was behind: each missed wake-up is 30 minutes (and the 1 s of real time) later
            assertEquals(1801, h.get(i)[0] - h.get(i - 1)[0], Arrays.toString(h.get(i)));
            assertEquals(37, h.get(i)[1] - h.get(i - 1)[1]);
        }
        // the restored memory round-trips
        GasMeter again = new GasMeter(0x000D6F0000650002L, CODE, 5, 1000, 1000);
        assertEquals(0, again.restore(after.memory(), 1000, now + 5_500));
        assertArrayEquals(after.memory(), again.memory());
    }

    @Test
    void malformedMemoryIsRefused() {
        GasMeter m = new GasMeter(1, CODE, 5, 1000, 1000);
        byte[] good = m.memory();
        assertThrows(IllegalArgumentException.class, () -> m.restore(Arrays.copyOf(good, good.length - 3), 1000, 0));
        byte[] version = good.clone();
        version[0] = 9;
        assertThrows(IllegalArgumentException.class, () -> m.restore(version, 1000, 0));
        byte[] count = Arrays.copyOf(good, good.length + 32);
        assertThrows(IllegalArgumentException.class, () -> m.restore(count, 1000, 0), "trailing octets");
        assertEquals(5, m.litres(), "a refused memory changes nothing");
    }

    /** The memory after one wake-up at real time {@code real}: built by restoring with one missed wake-up. */
    static byte[] withOneCapture(byte[] memory, long real) {
        // a memory whose last wake-up was one period before `real`: restoring at `real` captures exactly one
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(memory.clone());
        b.putLong(1 + 8 * 5, real - 1000); // lastWakeReal
        GasMeter m = new GasMeter(0x000D6F0000650002L, CODE, 5, 1000, 1000);
        assertEquals(1, m.restore(b.array(), 1000, real));
        return m.memory();
    }
}
