package org.modhub.mbus.link.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.modhub.api.common.Eui64;
import org.modhub.api.metering.ObisCode;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.Unit;
import org.modhub.mbus.link.internal.MbusDecodeException.Reason;
import org.openmuc.jmbus.EncryptionMode;
import org.openmuc.jmbus.SecondaryAddress;

/**
 * Published telegrams, each with its source:
 * <ul>
 * <li>W1: wmbusmeters, simulations/simulation_mbus.txt, "Test multical 403 heat meter sent over mbus"
 *     (wired RSP_UD, Kamstrup, expected total_energy_consumption_kwh 34510, total_volume_m3 2232.49,
 *     t1_temperature_c 64.6, t2_temperature_c 45.16, volume_flow_m3h 0.527);</li>
 * <li>S1: wmbusmeters, simulations/simulation_s1.txt, "Test Qundis QWater5.5 S1 meter" (id 13346376,
 *     total_m3 14.004, due_date_m3 6.24);</li>
 * <li>T1/C1 with block CRCs: wmbusmeters, simulations/simulation_dll_crcs.txt, second telegram
 *     (frame format A, CRCs still inside);</li>
 * <li>Mode 5: jMBus 3.x, src/test/.../VariableDataStructureTest.test1 (link address 2423759468372507,
 *     key "HalloWorldTestPW", access number 203, 3 encrypted blocks), wrapped here in its link
 *     header;</li>
 * <li>Mode 7: OMS Specification Vol. 2, Annex N example as used in jMBus's
 *     VariableDataStructureTest.testExample (ELL CI 8C + AFL CI 90), key 00..0F; the AFL MAC in the
 *     telegram is checked, so a wrong reading of the spec would fail here;</li>
 * <li>AES-CMAC: RFC 4493 section 4 test vectors.</li>
 * </ul>
 */
class TelegramVectorsTest {
    static final Instant AT = Instant.parse("2026-11-22T06:00:00Z");
    static final Function<SecondaryAddress, Optional<byte[]>> NO_KEYS = a -> Optional.empty();

    static final String W1 = "68464668084a72447744772d2c3404060000000406ce86000004ff073444020004ff08f8ce0100041411680300043B0f02000002593c19025da41104ff220000000004a5ff21c7d02700d916";
    static final String S1 = "2D4465327663341317077AAA0000000C13044001004C1340620000426C9F2C02BB560000326CFFFF046D180DA924";
    static final String CRC = "3444EE4D813929271608811D7A51000000046D1912A62B036E0000005170426CE1F1436E00000002FF2C00000259D6D0D4090265FC0902FD66A00044C4";
    static final String MODE5_APL = "7ACB5030055E861434F34A14AE2B9973AEE9811E32578336455E9AC7E7EF960B2253CA7F2BB6632C35E3DD95D66FE96C699A298A53";
    static final String OMS_MODE7 = "434493157856341233038C2075900F002C25B30A000021924D4F2FB66E017A75002007109058475F4BC91DF878B80A1B0F98B629024AAC727942BFC549233C0140829B93";

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.toLowerCase());
    }

    static Reading find(List<Reading> rs, String obis) {
        ObisCode o = ObisCode.parse(obis);
        return rs.stream().filter(r -> r.measurand().equals(o)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + obis + " in " + rs));
    }

    @Test
    void wiredMultical403() throws Exception {
        Telegram t = Telegrams.decodeWired(hex(W1), NO_KEYS);
        assertEquals(Eui64.parse("2C2D77447744 3404".replace(" ", "")), t.device()); // KAM 77447744 v0x34 heat(04)
        assertEquals("KAM", t.address().getManufacturerId());
        RecordMapper.Mapping m = RecordMapper.map(t, AT);
        Reading energy = find(m.readings(), "6.0.1.0.0.255");
        assertEquals(34510, energy.raw());
        assertEquals(3, energy.scaler());
        assertEquals(Unit.WATT_HOUR, energy.unit());
        assertEquals(0, energy.value().compareTo(new java.math.BigDecimal("34510000")));
        assertEquals(0, find(m.readings(), "6.0.2.0.0.255").value().compareTo(new java.math.BigDecimal("2232.49")));
        assertEquals(Unit.CUBIC_METRE, find(m.readings(), "6.0.2.0.0.255").unit());
        assertEquals(0, find(m.readings(), "6.0.10.0.0.255").value().compareTo(new java.math.BigDecimal("64.6")));
        assertEquals(0, find(m.readings(), "6.0.11.0.0.255").value().compareTo(new java.math.BigDecimal("45.16")));
        assertEquals(0, find(m.readings(), "6.0.9.0.0.255").value().compareTo(new java.math.BigDecimal("0.527")));
        assertEquals(Unit.CUBIC_METRE_PER_HOUR, find(m.readings(), "6.0.9.0.0.255").unit());
        assertTrue(m.refused().isEmpty(), m.refused().toString());
        assertEquals(4, m.ignored()); // three manufacturer-specific records and the operating time
    }

    @Test
    void wiredBadChecksumAndLength() {
        byte[] f = hex(W1);
        f[f.length - 2] ^= 1;
        assertEquals(Reason.BAD_CHECKSUM, assertThrows(MbusDecodeException.class, () -> Telegrams.decodeWired(f, NO_KEYS)).reason());
        byte[] g = hex(W1);
        byte[] cut = java.util.Arrays.copyOf(g, g.length - 5);
        assertEquals(Reason.BAD_LENGTH, assertThrows(MbusDecodeException.class, () -> Telegrams.decodeWired(cut, NO_KEYS)).reason());
        byte[] h = hex(W1);
        h[2] = (byte) (h[2] + 1);
        assertEquals(Reason.BAD_LENGTH, assertThrows(MbusDecodeException.class, () -> Telegrams.decodeWired(h, NO_KEYS)).reason());
        assertEquals(Reason.MALFORMED, assertThrows(MbusDecodeException.class,
                () -> Telegrams.decodeWired(new byte[] {(byte) 0xE5, 0, 0, 0, 0, 0}, NO_KEYS)).reason());
    }

    @Test
    void wirelessS1QWater() throws Exception {
        Telegram t = Telegrams.decodeWireless(hex(S1), false, NO_KEYS);
        assertEquals(Eui64.parse("3265133463761707"), t.device()); // LSE 13346376 v0x17 water(07)
        RecordMapper.Mapping m = RecordMapper.map(t, AT);
        Reading total = find(m.readings(), "8.0.1.0.0.255");
        assertEquals(14004, total.raw());
        assertEquals(-3, total.scaler());
        assertEquals(Unit.CUBIC_METRE, total.unit());
        Reading due = find(m.readings(), "8.0.1.0.0.1"); // storage number 1
        assertEquals(0, due.value().compareTo(new java.math.BigDecimal("6.24")));
        assertEquals(RecordMapper.deviceType(t.mediumCode()), Optional.of(org.modhub.api.han.DeviceType.WATER_METER));
    }

    @Test
    void wirelessBadLength() {
        byte[] t = hex(S1);
        t[0] = (byte) (t[0] + 2);
        assertEquals(Reason.BAD_LENGTH, assertThrows(MbusDecodeException.class, () -> Telegrams.decodeWireless(t, false, NO_KEYS)).reason());
    }

    @Test
    void unknownVifIsRefusedAndTheRestKept() throws Exception {
        byte[] base = hex(S1);
        byte[] extra = hex("046F01000000"); // VIF E110 1111: reserved (EN 13757-3)
        byte[] t = new byte[base.length + extra.length];
        System.arraycopy(base, 0, t, 0, base.length);
        System.arraycopy(extra, 0, t, base.length, extra.length);
        t[0] = (byte) (t.length - 1);
        RecordMapper.Mapping m = RecordMapper.map(Telegrams.decodeWireless(t, false, NO_KEYS), AT);
        assertEquals(1, m.refused().size());
        assertEquals(Reason.UNKNOWN_VIF, m.refused().get(0).reason());
        assertEquals(14004, find(m.readings(), "8.0.1.0.0.255").raw());
    }

    @Test
    void frameFormatABlockCrcs() throws Exception {
        Telegram t = Telegrams.decodeWireless(hex(CRC), true, NO_KEYS);
        assertEquals(0x08, t.mediumCode()); // heat cost allocator
        RecordMapper.Mapping m = RecordMapper.map(t, AT);
        assertEquals(0, find(m.readings(), "4.0.10.0.0.255").value().compareTo(new java.math.BigDecimal("25.16")));
        assertEquals(Unit.COUNT, find(m.readings(), "4.0.1.0.0.255").unit());
        for (int i : new int[] {3, 11, 20, 40, 60}) {
            byte[] bad = hex(CRC);
            bad[i] ^= 0x10;
            MbusDecodeException e = assertThrows(MbusDecodeException.class, () -> Telegrams.decodeWireless(bad, true, NO_KEYS));
            assertEquals(Reason.BAD_CHECKSUM, e.reason(), "flipped octet " + i);
        }
    }

    static byte[] mode5Telegram() {
        byte[] apl = hex(MODE5_APL);
        byte[] link = hex("2423759468372507");
        byte[] t = new byte[2 + link.length + apl.length];
        t[0] = (byte) (t.length - 1);
        t[1] = 0x44;
        System.arraycopy(link, 0, t, 2, link.length);
        System.arraycopy(apl, 0, t, 10, apl.length);
        return t;
    }

    @Test
    void securityMode5RightWrongAndMissingKey() throws Exception {
        byte[] key = "HalloWorldTestPW".getBytes(StandardCharsets.US_ASCII);
        Telegram t = Telegrams.decodeWireless(mode5Telegram(), false, a -> Optional.of(key));
        assertEquals(EncryptionMode.AES_CBC_IV, t.security());
        assertEquals(203, t.accessNumber());
        RecordMapper.Mapping m = RecordMapper.map(t, AT);
        assertEquals(Unit.CUBIC_METRE, find(m.readings(), "8.0.1.0.0.255").unit());
        assertEquals(0, find(m.readings(), "8.0.1.1.1".replace("8.0.1.1.1", "8.0.1.0.1.1")).value().compareTo(new java.math.BigDecimal("0.011")));
        byte[] wrong = "HalloWorldTestPX".getBytes(StandardCharsets.US_ASCII);
        assertEquals(Reason.WRONG_KEY, assertThrows(MbusDecodeException.class,
                () -> Telegrams.decodeWireless(mode5Telegram(), false, a -> Optional.of(wrong))).reason());
        assertEquals(Reason.NO_KEY, assertThrows(MbusDecodeException.class,
                () -> Telegrams.decodeWireless(mode5Telegram(), false, NO_KEYS)).reason());
    }

    @Test
    void securityMode7OmsAnnexNExample() throws Exception {
        byte[] key = hex("000102030405060708090A0B0C0D0E0F");
        Telegram t = Telegrams.decodeWireless(hex(OMS_MODE7), false, a -> Optional.of(key));
        assertEquals(EncryptionMode.AES_CBC_IV_0, t.security());
        assertEquals(0x0AB3, t.counter()); // AFL.MCR B3 0A 00 00
        assertEquals(Eui64.parse("1593123456783303"), t.device()); // ELS 12345678 v0x33 gas(03)
        RecordMapper.Mapping m = RecordMapper.map(t, AT);
        Reading gas = find(m.readings(), "7.0.3.0.0.255"); // 0C 14: 8-digit BCD, 10^-2 m3
        assertEquals(2850427, gas.raw());
        assertEquals(-2, gas.scaler());
        assertEquals(Unit.CUBIC_METRE, gas.unit());
        byte[] wrong = hex("000102030405060708090A0B0C0D0E0E");
        assertEquals(Reason.WRONG_KEY, assertThrows(MbusDecodeException.class,
                () -> Telegrams.decodeWireless(hex(OMS_MODE7), false, a -> Optional.of(wrong))).reason());
        byte[] tampered = hex(OMS_MODE7);
        tampered[tampered.length - 1] ^= 1; // an encrypted octet: the MAC no longer matches
        assertEquals(Reason.WRONG_KEY, assertThrows(MbusDecodeException.class,
                () -> Telegrams.decodeWireless(tampered, false, a -> Optional.of(key))).reason());
        assertEquals(Reason.NO_KEY, assertThrows(MbusDecodeException.class,
                () -> Telegrams.decodeWireless(hex(OMS_MODE7), false, NO_KEYS)).reason());
    }

    @Test
    void aesCmacRfc4493Vectors() {
        byte[] k = hex("2b7e151628aed2a6abf7158809cf4f3c");
        assertEquals("bb1d6929e95937287fa37d129b756746", HexFormat.of().formatHex(Mode7.cmac(k, new byte[0])));
        assertEquals("070a16b46b4d4144f79bdd9dd04a287c", HexFormat.of().formatHex(Mode7.cmac(k, hex("6bc1bee22e409f96e93d7e117393172a"))));
        assertEquals("dfa66747de9ae63030ca32611497c827", HexFormat.of().formatHex(Mode7.cmac(k,
                hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411"))));
    }

    @Test
    void euiRoundTripsToASelectionMask() {
        Eui64 e = Eui64.parse("3265133463761707");
        SecondaryAddress a = SecondaryAddress.newFromLongHeader(Telegrams.wireOfEui(e), 0);
        assertEquals(e, Telegrams.eui(a));
        assertEquals("LSE", a.getManufacturerId());
    }
}
