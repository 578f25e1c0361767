package org.modhub.emulator.power.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.modhub.api.power.PowerState;
import org.modhub.api.power.PowerStatus;

class EmulatedSupplyTest {
    @Test
    void everyChangeIsReportedInOrderWithACount() throws Exception {
        List<PowerStatus> seen = new CopyOnWriteArrayList<>();
        EmulatedSupply s = new EmulatedSupply(PowerState.ON, seen::add);
        assertFalse(s.set(PowerState.ON), "no change, no report");
        assertTrue(s.set(PowerState.OFF));
        s.flap(3, 1, 1);
        assertEquals(6, seen.size());
        assertEquals(PowerState.OFF, seen.get(0).state());
        assertEquals(PowerState.ON, seen.get(1).state()); // flap 1 starts with OFF: already off, so ON first
        for (int i = 0; i < seen.size(); i++) {
            assertEquals(i + 1, seen.get(i).changes());
        }
        assertEquals(PowerState.ON, s.status().state());
    }
}
