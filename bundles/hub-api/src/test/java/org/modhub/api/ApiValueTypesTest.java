package org.modhub.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.modhub.api.common.Eui64;
import org.modhub.api.han.DeviceType;
import org.modhub.api.han.InstallCode;
import org.modhub.api.messaging.Envelope;
import org.modhub.api.messaging.EnvelopeCodec;
import org.modhub.api.messaging.MalformedMessageException;
import org.modhub.api.messaging.MessageType;
import org.modhub.api.metering.Measurands;
import org.modhub.api.metering.ObisCode;
import org.modhub.api.metering.ReadingFlag;
import org.modhub.api.metering.Unit;

class ApiValueTypesTest {

    @Test
    void eui64RoundTripsAndRejectsGarbage() {
        Eui64 id = Eui64.parse("00-0d-6f-00-00-12-34-56");
        assertEquals("00-0D-6F-00-00-12-34-56", id.toString());
        assertEquals(id, Eui64.of(id.octets()));
        assertEquals(id, Eui64.parse("000D6F0000123456"));
        assertEquals(Eui64.parse("FF-FF-FF-FF-FF-FF-FF-FE").value(), 0xFFFF_FFFF_FFFF_FFFEL);
        assertThrows(IllegalArgumentException.class, () -> Eui64.parse("00-0D-6F"));
        assertThrows(IllegalArgumentException.class, () -> Eui64.parse("00-0D-6F-00-00-12-34-5G"));
        assertThrows(IllegalArgumentException.class, () -> Eui64.of(new byte[7]));
    }

    @Test
    void installCodeChecksCrc() {
        // Example from the ZigBee SE install-code documentation (Silicon Labs AN1089):
        // code 83FED3407A939723A5C639B26916D505, CRC C3B5 (sent least significant byte first: B5 C3).
        InstallCode code = InstallCode.parse("83FED3407A939723A5C639B26916D505C3B5");
        assertEquals(18, code.octets().length);
        assertThrows(IllegalArgumentException.class, () -> InstallCode.parse("83FED3407A939723A5C639B26916D505C3B6"));
        assertThrows(IllegalArgumentException.class, () -> InstallCode.parse("0102"));
        InstallCode built = InstallCode.withCrc(HexFormat.of().parseHex("83FED3407A939723A5C639B26916D505"));
        assertEquals(code, built);
    }

    @Test
    void obisParsesBothNotations() {
        assertEquals(new ObisCode(1, 0, 1, 8, 0, 255), ObisCode.parse("1-0:1.8.0*255"));
        assertEquals(new ObisCode(1, 0, 1, 8, 2, 255), ObisCode.parse("1.0.1.8.2.255"));
        assertEquals(new ObisCode(1, 0, 1, 8, 0, 255), ObisCode.parse("1-0:1.8.0"));
        assertThrows(IllegalArgumentException.class, () -> ObisCode.parse("1.0.1.8.256.255"));
        assertThrows(IllegalArgumentException.class, () -> ObisCode.parse("one"));
        ObisCode c = ObisCode.parse("0.0.96.3.10.255");
        assertEquals(c, ObisCode.ofLogicalName(c.logicalName()));
    }

    @Test
    void zigBeeAttributesMapOntoObis() {
        assertEquals(Optional.of(Measurands.ACTIVE_ENERGY_IMPORT),
                Measurands.fromZigBee(DeviceType.ELECTRICITY_METER, 0x0702, 0x0000));
        assertEquals(Optional.of(Measurands.GAS_VOLUME), Measurands.fromZigBee(DeviceType.GAS_METER, 0x0702, 0x0000));
        assertEquals(Optional.of(ObisCode.parse("1.0.1.8.2.255")),
                Measurands.fromZigBee(DeviceType.ELECTRICITY_METER, 0x0702, 0x0102));
        assertEquals(Optional.of(Measurands.ACTIVE_POWER_IMPORT),
                Measurands.fromZigBee(DeviceType.ELECTRICITY_METER, 0x0702, 0x0400));
        assertEquals(Optional.empty(), Measurands.fromZigBee(DeviceType.ELECTRICITY_METER, 0x0700, 0x0000));
        assertEquals(Optional.of(Unit.WATT_HOUR), Unit.fromZigBee(0x80, false));
        assertEquals(3, Unit.WATT_HOUR.zigBeeScaler());
        assertEquals(Optional.of(Unit.WATT_HOUR), Unit.fromDlms(30));
    }

    @Test
    void readingFlagsKeepTheirBits() {
        EnumSet<ReadingFlag> flags = EnumSet.of(ReadingFlag.ESTIMATED, ReadingFlag.POWER_DOWN);
        assertEquals(0b10001, ReadingFlag.toMask(flags));
        assertEquals(flags, ReadingFlag.fromMask(0b10001));
    }

    @Test
    void envelopeRoundTripsAndMalformedBytesAreRefused() throws Exception {
        Envelope e = new Envelope("m-1", MessageType.COMMAND, Eui64.of(0x1122334455667788L), 42,
                Eui64.of(0x0102030405060708L), Instant.parse("2026-11-22T00:00:00Z"), 0x00A1, new byte[] {1, 2, 3});
        byte[] wire = EnvelopeCodec.encode(e);
        Envelope back = EnvelopeCodec.decode(wire);
        assertEquals(e, back);
        assertArrayEquals(new byte[] {1, 2, 3}, back.payload());

        byte[] truncated = java.util.Arrays.copyOf(wire, wire.length - 1);
        assertThrows(MalformedMessageException.class, () -> EnvelopeCodec.decode(truncated));
        byte[] longer = java.util.Arrays.copyOf(wire, wire.length + 1);
        assertThrows(MalformedMessageException.class, () -> EnvelopeCodec.decode(longer));
        byte[] badCra = wire.clone();
        badCra[1] = 9;
        assertThrows(MalformedMessageException.class, () -> EnvelopeCodec.decode(badCra));
        byte[] badVersion = wire.clone();
        badVersion[0] = 7;
        assertThrows(MalformedMessageException.class, () -> EnvelopeCodec.decode(badVersion));
        assertThrows(MalformedMessageException.class, () -> EnvelopeCodec.decode(new byte[3]));
        // fuzz-ish: every single-byte truncation is refused with the typed exception, never another
        for (int n = 0; n < wire.length; n++) {
            byte[] cut = java.util.Arrays.copyOf(wire, n);
            assertThrows(MalformedMessageException.class, () -> EnvelopeCodec.decode(cut));
        }
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < 2000; i++) {
            byte[] junk = new byte[r.nextInt(80)];
            r.nextBytes(junk);
            try {
                EnvelopeCodec.decode(junk);
            } catch (MalformedMessageException expected) {
                assertTrue(expected.getMessage() != null);
            }
        }
    }
}
