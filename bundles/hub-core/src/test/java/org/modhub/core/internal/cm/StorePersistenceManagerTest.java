package org.modhub.core.internal.cm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Hashtable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modhub.core.internal.testing.Fakes;

class StorePersistenceManagerTest {
    @TempDir
    Path dir;

    @Test
    @SuppressWarnings({"rawtypes", "unchecked"})
    void configurationRoundTripsWithTypesAndSurvivesReopen() throws Exception {
        StorePersistenceManager pm = new StorePersistenceManager(Fakes.store(dir));
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("service.pid", "org.modhub.core.outbox");
        props.put("capacityMessages", 500);
        props.put("capacityBytes", 1_048_576L);
        props.put("hosts", new String[] {"a", "b,c"});
        props.put("enabled", Boolean.TRUE);
        pm.store("org.modhub.core.outbox", props);
        assertTrue(pm.exists("org.modhub.core.outbox"));
        assertFalse(pm.exists("other"));

        StorePersistenceManager reopened = new StorePersistenceManager(Fakes.store(dir));
        Dictionary back = reopened.load("org.modhub.core.outbox");
        assertEquals(500, back.get("capacityMessages"));
        assertEquals(1_048_576L, back.get("capacityBytes"));
        assertArrayEquals(new String[] {"a", "b,c"}, (String[]) back.get("hosts"));
        assertEquals(Boolean.TRUE, back.get("enabled"));
        assertEquals(1, Collections.list(reopened.getDictionaries()).size());
        reopened.delete("org.modhub.core.outbox");
        assertFalse(reopened.exists("org.modhub.core.outbox"));
        assertTrue(reopened.load("org.modhub.core.outbox").isEmpty());
    }
}
