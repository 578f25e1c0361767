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

    @Test
    @SuppressWarnings({"rawtypes", "unchecked"})
    void callersGetTheirOwnCopiesAndWritesAreSeenAtOnce() throws Exception {
        StorePersistenceManager pm = new StorePersistenceManager(Fakes.store(dir));
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("service.pid", "p1");
        props.put("hosts", new String[] {"a", "b"});
        pm.store("p1", props);
        Dictionary first = pm.load("p1");
        ((String[]) first.get("hosts"))[0] = "changed";
        first.put("extra", "x");
        Dictionary second = pm.load("p1");
        assertArrayEquals(new String[] {"a", "b"}, (String[]) second.get("hosts"));
        assertEquals(null, second.get("extra"));
        props.put("hosts", new String[] {"c"});
        pm.store("p1", props);
        assertArrayEquals(new String[] {"c"}, (String[]) pm.load("p1").get("hosts"));
        assertEquals(1, Collections.list(pm.getDictionaries()).size());
        pm.delete("p1");
        assertFalse(pm.exists("p1"));
        assertEquals(0, Collections.list(pm.getDictionaries()).size());
    }

    @Test
    void anUnreadableEntryIsReportedAndTheOthersStillLoad() throws Exception {
        var store = Fakes.store(dir);
        StorePersistenceManager pm = new StorePersistenceManager(store);
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("service.pid", "good");
        pm.store("good", props);
        store.hub().inTransaction(c -> {
            try (var ps = c.prepareStatement("INSERT INTO configuration(pid, body, updated) VALUES ('bad', ?, 0)")) {
                ps.setBytes(1, "key=[unterminated".getBytes(java.nio.charset.StandardCharsets.UTF_8));
                ps.executeUpdate();
            }
            return null;
        });
        StorePersistenceManager reopened = new StorePersistenceManager(store);
        assertTrue(reopened.exists("bad"));
        java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> reopened.load("bad"));
        assertTrue(e.getMessage().contains("bad"), e.getMessage());
        assertEquals("good", reopened.load("good").get("service.pid"));
    }
}
