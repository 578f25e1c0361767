package org.modhub.management.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EndpointSettingsTest {

    @Test
    void defaultsAreValid() {
        EndpointSettings s = EndpointSettings.validate("127.0.0.1", 8040, false);
        assertEquals(8040, s.address().getPort());
        assertTrue(s.address().getAddress().isLoopbackAddress());
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.0.0.2", "::1", "localhost", " 127.0.0.1 "})
    void loopbackHostsAreAccepted(String host) {
        assertTrue(EndpointSettings.validate(host, 8040, false).address().getAddress().isLoopbackAddress());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 65535})
    void portBoundsAreAccepted(int port) {
        assertEquals(port, EndpointSettings.validate("127.0.0.1", port, false).address().getPort());
    }

    @Test
    void portTooLargeIsRefusedNamingPidAndField() {
        var e = assertThrows(EndpointSettings.InvalidConfigurationException.class,
                () -> EndpointSettings.validate("127.0.0.1", 99999, false));
        assertEquals("configuration org.modhub.management: field 'port': 99999 is out of 1..65535", e.getMessage());
        assertEquals("port", e.field());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 65536, Integer.MIN_VALUE, Integer.MAX_VALUE})
    void portsOutOfRangeAreRefused(int port) {
        var e = assertThrows(EndpointSettings.InvalidConfigurationException.class,
                () -> EndpointSettings.validate("127.0.0.1", port, false));
        assertEquals("port", e.field());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "10.1.2.3", "192.0.2.1", "::"})
    void nonLoopbackHostIsRefusedUnlessAllowed(String host) {
        var e = assertThrows(EndpointSettings.InvalidConfigurationException.class,
                () -> EndpointSettings.validate(host, 8040, false));
        assertEquals("host", e.field());
        assertTrue(e.getMessage().startsWith("configuration org.modhub.management: field 'host': '" + host
                + "' is not a loopback address"), e.getMessage());
        assertEquals(8040, EndpointSettings.validate(host, 8040, true).address().getPort());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  "})
    void emptyHostIsRefused(String host) {
        var e = assertThrows(EndpointSettings.InvalidConfigurationException.class,
                () -> EndpointSettings.validate(host, 8040, true));
        assertEquals("configuration org.modhub.management: field 'host': is empty", e.getMessage());
    }

    @Test
    void nullHostIsRefused() {
        var e = assertThrows(EndpointSettings.InvalidConfigurationException.class,
                () -> EndpointSettings.validate(null, 8040, false));
        assertEquals("host", e.field());
    }

    @Test
    void unresolvableHostIsRefused() {
        var e = assertThrows(EndpointSettings.InvalidConfigurationException.class,
                () -> EndpointSettings.validate("no-such-host.invalid", 8040, true));
        assertEquals("configuration org.modhub.management: field 'host': 'no-such-host.invalid' does not resolve",
                e.getMessage());
    }
}
