package org.modhub.umi.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.modhub.api.common.Eui64;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.ObisCode;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.Unit;

class Iec21FramesTest {
    static final Eui64 METER = Eui64.parse("00-11-22-33-44-55-66-77");

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void signOnAndAcknowledgement() {
        assertArrayEquals(ascii("/?!\r\n"), Iec21Frames.signOn(""));
        assertArrayEquals(ascii("/?12345678!\r\n"), Iec21Frames.signOn("12345678"));
        assertArrayEquals(new byte[] {0x06, '0', '5', '0', '\r', '\n'}, Iec21Frames.readoutAck('5'));
        assertThrows(IllegalArgumentException.class, () -> Iec21Frames.signOn("a!b"));
    }

    @Test
    void identification() throws Exception {
        Iec21Frames.Identification id = Iec21Frames.parseIdentification(ascii("/ISk5MT174-0001\r\n"));
        assertEquals("ISk", id.manufacturer());
        assertEquals('5', id.baudCharacter());
        assertEquals(9600, id.baudRate());
        assertEquals("MT174-0001", id.identification());
        assertTrue(id.slowReaction());
        assertEquals(300, Iec21Frames.parseIdentification(ascii("/LGZ0ZMD\\2310\r\n")).baudRate());
        assertFalse(Iec21Frames.parseIdentification(ascii("/LGZ6X\r\n")).slowReaction());
    }

    @Test
    void malformedIdentificationsAreTyped() {
        for (String bad : new String[] {"LGZ5ZMD\r\n", "/LGZ5ZMD", "/LG\r\n", "/L1Z5ZMD\r\n", "/LGZA-modeB\r\n",
            "/LGZ7ZMD\r\n", "/LGZ5\r\n", "/LGZ5" + "X".repeat(30) + "\r\n", "/LGZ5a!b\r\n"}) {
            assertThrows(UmiException.MalformedIdentificationException.class,
                    () -> Iec21Frames.parseIdentification(ascii(bad)), bad);
        }
    }

    @Test
    void bcc() throws Exception {
        byte[] block = ascii("1.8.0(000123.456*kWh)\r\n!\r\n\u0003");
        byte bcc = Iec21Frames.bcc(block, 0, block.length);
        Iec21Frames.checkBcc(block, bcc);
        UmiException.BadBccException e = assertThrows(UmiException.BadBccException.class,
                () -> Iec21Frames.checkBcc(block, (byte) (bcc ^ 0x40)));
        assertTrue(e.getMessage().contains("BCC"));
    }

    @Test
    void dataBlockIntoReadings() throws Exception {
        List<Iec21Frames.DataSet> sets = Iec21Frames.parseDataBlock(ascii(
                "0.0.0(MODHUB-1)\r\n0.9.1(101112)\r\n1.8.0(012345.678*kWh)1.8.1(000100.5*kWh)\r\n"
                        + "1-0:2.8.0*255(000001.000*kWh)\r\n1.7.0(00.812*kW)\r\nC.1.0(4711)\r\nF.F(00000000)\r\n!\r\n"));
        assertEquals(8, sets.size());
        assertEquals(new Iec21Frames.DataSet("1.8.0", "012345.678", "kWh"), sets.get(2));
        Instant at = Instant.parse("2026-11-22T00:00:00Z");
        List<Reading> r = Iec21Frames.toReadings(METER, at, sets);
        assertEquals(4, r.size(), "only data sets with units are quantities");
        assertEquals(new Reading(METER, Measurands.ACTIVE_ENERGY_IMPORT, at, 12_345_678, 0, Unit.WATT_HOUR), r.get(0));
        assertEquals(new Reading(METER, Measurands.ACTIVE_ENERGY_IMPORT.withTariff(1), at, 1005, 2, Unit.WATT_HOUR), r.get(1));
        assertEquals(Measurands.ACTIVE_ENERGY_EXPORT, r.get(2).measurand());
        assertEquals(0, r.get(3).value().compareTo(new java.math.BigDecimal("812")));
        assertEquals(Unit.WATT, r.get(3).unit());
        assertEquals(new ObisCode(1, 0, 96, 1, 0, 255), Iec21Frames.obis("C.1.0"));
        assertEquals(new ObisCode(1, 0, 1, 8, 0, 12), Iec21Frames.obis("1.8.0*12"));
    }

    @Test
    void unknownUnitIsTyped() throws Exception {
        List<Iec21Frames.DataSet> sets = Iec21Frames.parseDataBlock(ascii("1.8.0(000001.000*kWx)\r\n!\r\n"));
        UmiException.UnknownUnitException e = assertThrows(UmiException.UnknownUnitException.class,
                () -> Iec21Frames.toReadings(METER, Instant.now(), sets));
        assertEquals("kWx", e.unit());
    }

    @Test
    void malformedDataBlocksAreTyped() {
        for (String bad : new String[] {"1.8.0(000001.000*kWh)\r\n", "1.8.0(000001.000*kWh\r\n!\r\n",
            "1.8.0 000001\r\n!\r\n", "1.8.0(1)\r\n!\r\nX", "0123456789ABCDEFGH(1)\r\n!\r\n"}) {
            assertThrows(UmiException.MalformedReadoutException.class, () -> Iec21Frames.parseDataBlock(ascii(bad)), bad);
        }
        assertThrows(UmiException.MalformedReadoutException.class, () -> Iec21Frames.toReadings(METER, Instant.now(),
                List.of(new Iec21Frames.DataSet("1.8.0", "12,5", "kWh"))));
        assertThrows(UmiException.MalformedReadoutException.class, () -> Iec21Frames.toReadings(METER, Instant.now(),
                List.of(new Iec21Frames.DataSet("meter", "12", "kWh"))));
    }
}
