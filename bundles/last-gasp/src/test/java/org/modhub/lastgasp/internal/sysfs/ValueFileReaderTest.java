package org.modhub.lastgasp.internal.sysfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modhub.api.power.PowerState;

class ValueFileReaderTest {
    @TempDir
    Path dir;

    void write(Path f, String v) throws IOException {
        Files.writeString(f, v);
    }

    @Test
    void powerSupplyOnlineFile() throws Exception {
        Path online = dir.resolve("online");
        write(online, "1\n");
        ValueFileReader r = new ValueFileReader(online, "1", 1);
        assertEquals(Optional.of(PowerState.ON), r.poll(), "first read establishes the state");
        assertEquals(Optional.empty(), r.poll());
        write(online, "0\n");
        assertEquals(Optional.of(PowerState.OFF), r.poll());
        write(online, "1\n");
        assertEquals(Optional.of(PowerState.ON), r.poll());
    }

    @Test
    void activeLowGpioWithDebounce() throws Exception {
        Path value = dir.resolve("value");
        write(value, "0");
        ValueFileReader r = new ValueFileReader(value, "0", 3);
        assertEquals(Optional.of(PowerState.ON), r.poll());
        write(value, "1");
        assertEquals(Optional.empty(), r.poll());
        write(value, "0"); // bounce back: the candidate is dropped
        assertEquals(Optional.empty(), r.poll());
        write(value, "1");
        assertEquals(Optional.empty(), r.poll());
        assertEquals(Optional.empty(), r.poll());
        assertEquals(Optional.of(PowerState.OFF), r.poll(), "third equal read");
        assertEquals(Optional.of(PowerState.OFF), r.stable());
    }

    @Test
    void unreadableOrMalformedFilesAreErrorsNotStates() throws Exception {
        Path missing = dir.resolve("missing");
        ValueFileReader r = new ValueFileReader(missing, "1", 1);
        assertThrows(IOException.class, r::poll);
        write(missing, "   \n");
        assertThrows(IOException.class, r::poll);
        write(missing, "1".repeat(100));
        assertThrows(IOException.class, r::poll);
        assertEquals(Optional.empty(), r.stable());
        assertThrows(IllegalArgumentException.class, () -> new ValueFileReader(missing, " ", 1));
        assertThrows(IllegalArgumentException.class, () -> new ValueFileReader(missing, "1", 0));
    }
}
