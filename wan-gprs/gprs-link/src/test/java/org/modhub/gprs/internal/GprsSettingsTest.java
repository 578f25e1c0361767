package org.modhub.gprs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Configuration validation: every bad value is refused with the PID and the field named. */
class GprsSettingsTest {
    private static GprsSettings with(Function<Object[], Object[]> change) {
        Object[] v = {"/dev/ttyUSB2", 115200, "", "", "IP", 1, -105, true, 5000, 60000, 15000, 2, 10000, "", "", 1500, true};
        v = change.apply(v);
        return new GprsSettings((String) v[0], (int) v[1], (String) v[2], (String) v[3], (String) v[4], (int) v[5],
                (int) v[6], (boolean) v[7], (int) v[8], (int) v[9], (int) v[10], (int) v[11], (int) v[12],
                (String) v[13], (String) v[14], (int) v[15], (boolean) v[16]);
    }

    private static void refused(String field, int index, Object value) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> with(v -> {
            v[index] = value;
            return v;
        }), field + "=" + value);
        assertTrue(e.getMessage().contains(GprsLinkComponent.PID), e.getMessage());
        assertTrue(e.getMessage().contains("field " + field + ":"), e.getMessage());
    }

    @Test
    void defaultsAreValid() {
        GprsSettings s = with(v -> v);
        assertEquals("/dev/ttyUSB2", s.port());
        assertEquals("IP", s.pdpType());
    }

    @Test
    void badValuesAreRefusedNamingTheField() {
        refused("port", 0, "");
        refused("port", 0, "  ");
        refused("baudRate", 1, 12345);
        refused("pin", 2, "12a4");
        refused("pin", 2, "123");
        refused("pin", 2, "123456789");
        refused("apn", 3, "bad apn");
        refused("apn", 3, "a..b");
        refused("apn", 3, "x\"y");
        refused("pdpType", 4, "PPP");
        refused("cid", 5, 0);
        refused("cid", 5, 25);
        refused("signalThresholdDbm", 6, -114);
        refused("signalThresholdDbm", 6, -50);
        refused("commandTimeoutMs", 8, 99);
        refused("pdpTimeoutMs", 9, 999);
        refused("pollIntervalMs", 10, 100);
        refused("silentCommandsBeforeReset", 11, 0);
        refused("resetRecoveryMs", 12, -1);
        refused("interfaceName", 13, "wwan0; rm -rf /");
        refused("interfaceName", 13, "a-very-long-interface-name");
        refused("bindAddress", 14, "example.org");
        refused("bindAddress", 14, "10.0.0.256");
        refused("mtu", 15, 100);
    }

    @Test
    void goodValuesAreNormalised() {
        GprsSettings s = with(v -> {
            v[2] = " 4711 ";
            v[3] = "iot.modhub-1.example";
            v[4] = "ipv4v6";
            v[13] = "wwan0";
            v[14] = "fe80::1";
            return v;
        });
        assertEquals("4711", s.pin());
        assertEquals("IPV4V6", s.pdpType());
        assertEquals("fe80::1", s.bindAddress());
        assertFalse(s.toString().contains("4711"), "toString never shows the PIN");
    }
}
