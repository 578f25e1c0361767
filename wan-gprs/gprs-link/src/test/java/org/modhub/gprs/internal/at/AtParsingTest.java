package org.modhub.gprs.internal.at;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.modhub.gprs.internal.at.AtResponses.SimState;

class AtParsingTest {

    @Test
    void csqMapsRssiToDbm() throws Exception {
        assertEquals(OptionalInt.of(-113), AtResponses.csq(List.of("+CSQ: 0,99")).dbm());
        assertEquals(OptionalInt.of(-73), AtResponses.csq(List.of("+CSQ: 20,99")).dbm());
        assertEquals(OptionalInt.of(-51), AtResponses.csq(List.of("+CSQ: 31,0")).dbm());
        assertEquals(OptionalInt.empty(), AtResponses.csq(List.of("+CSQ: 99,99")).dbm());
    }

    @Test
    void csqRejectsOutOfRangeAndMalformed() {
        for (String bad : new String[] {"+CSQ: 32,99", "+CSQ: 20,8", "+CSQ: 20", "+CSQ: ,", "+CSQ: a,b", "+CSQ: \"20\",99",
            "+CSQ: -1,99", "+CSQ: 20,99,1"}) {
            assertThrows(AtProtocolException.class, () -> AtResponses.csq(List.of(bad)), bad);
        }
        assertThrows(AtProtocolException.class, () -> AtResponses.csq(List.of()));
    }

    @Test
    void registrationAnswersAndUnsolicitedForms() throws Exception {
        Registration a = Registration.parseAnswer("+CREG: 2,1,\"00C3\",\"0000a1b2\",7");
        assertEquals("CREG", a.domain());
        assertEquals(RegStatus.HOME, a.status());
        assertEquals(Optional.of("00C3"), a.area());
        assertEquals(Optional.of("0000A1B2"), a.cellId());
        assertEquals(OptionalInt.of(7), a.accessTechnology());

        assertEquals(RegStatus.SEARCHING, Registration.parseAnswer("+CGREG: 0,2").status());
        Registration u = Registration.parseUnsolicited("+CEREG: 5,\"1A2B\",\"01234567\",7");
        assertEquals(RegStatus.ROAMING, u.status());
        assertTrue(u.status().roaming());
        assertEquals(RegStatus.NOT_REGISTERED, Registration.parseUnsolicited("+CGREG: 0").status());
        // some modems repeat <n> in unsolicited codes: an unquoted second number is not an area code
        assertEquals(RegStatus.DENIED, Registration.parseUnsolicited("+CREG: 2,3").status());
        // CEREG n=4/5 forms carry more parameters after AcT
        assertEquals(RegStatus.HOME,
                Registration.parseAnswer("+CEREG: 4,1,\"1A2B\",\"01234567\",7,,,\"00100100\",\"01000111\"").status());
    }

    @Test
    void registrationRejectsMalformed() {
        for (String bad : new String[] {"+CREG: 2", "+CREG: 2,11", "+CREG: x,1", "+CGREG: 2,1,00C3,\"1\"",
            "+CREG: 2,1,\"zz\",\"1\"", "+CEREG: 2,1,\"1\",\"2\",99", "+CXREG: 1,1", "+CREG: 2,1,\"00C3"}) {
            assertThrows(AtProtocolException.class, () -> Registration.parseAnswer(bad), bad);
        }
        assertThrows(AtProtocolException.class, () -> Registration.parseUnsolicited("+CREG:"));
        assertThrows(AtProtocolException.class, () -> Registration.parseUnsolicited("+CREG: 12"));
    }

    @Test
    void simStates() throws Exception {
        assertEquals(SimState.READY, AtResponses.cpin(List.of("+CPIN: READY")));
        assertEquals(SimState.SIM_PIN, AtResponses.cpin(List.of("+CPIN: SIM PIN")));
        assertEquals(SimState.SIM_PUK, AtResponses.cpin(List.of("+CPIN: \"SIM PUK\"")));
        assertEquals(SimState.OTHER, AtResponses.cpin(List.of("+CPIN: NOT READY")));
        assertThrows(AtProtocolException.class, () -> AtResponses.cpin(List.of("+CPIN:")));
        assertThrows(AtProtocolException.class, () -> AtResponses.cpin(List.of("READY")));
    }

    @Test
    void operatorAndPdp() throws Exception {
        AtResponses.Operator op = AtResponses.cops(List.of("+COPS: 0,0,\"modhub Mobile\",7"));
        assertEquals(Optional.of("modhub Mobile"), op.name());
        assertEquals(OptionalInt.of(7), op.accessTechnology());
        assertEquals(Optional.empty(), AtResponses.cops(List.of("+COPS: 0")).name());
        assertThrows(AtProtocolException.class, () -> AtResponses.cops(List.of("+COPS: 0,0,modhub")));
        assertThrows(AtProtocolException.class, () -> AtResponses.cops(List.of("+COPS: 9")));

        assertEquals(Map.of(1, true, 2, false), AtResponses.cgact(List.of("+CGACT: 1,1", "+CGACT: 2,0")));
        assertThrows(AtProtocolException.class, () -> AtResponses.cgact(List.of("+CGACT: 1,2")));
        assertEquals(Map.of(1, "internet"), AtResponses.cgdcont(List.of("+CGDCONT: 1,\"IP\",\"internet\",\"0.0.0.0\",0,0")));
        assertThrows(AtProtocolException.class, () -> AtResponses.cgdcont(List.of("+CGDCONT: 1,IP,internet")));

        assertEquals(Optional.of("10.64.0.2"), AtResponses.cgpaddr(List.of("+CGPADDR: 1,\"10.64.0.2\""), 1));
        assertEquals(Optional.of("10.0.0.9"), AtResponses.cgpaddr(List.of("+CGPADDR: 1,10.0.0.9"), 1));
        assertEquals(Optional.empty(), AtResponses.cgpaddr(List.of("+CGPADDR: 1"), 1));
        assertEquals(Optional.empty(), AtResponses.cgpaddr(List.of("+CGPADDR: 1,\"0.0.0.0\""), 1));
        assertThrows(AtProtocolException.class, () -> AtResponses.cgpaddr(List.of("+CGPADDR: 1,\"evil;rm\""), 1));
    }

    @Test
    void cmeErrorsNumericAndVerbose() {
        CmeErrorException n = CmeErrorException.of("AT+CPIN=****", " 16");
        assertEquals(CmeErrorException.INCORRECT_PASSWORD, n.code());
        CmeErrorException v = CmeErrorException.of("AT+CPIN=****", " incorrect password");
        assertEquals(CmeErrorException.INCORRECT_PASSWORD, v.code());
        assertEquals(CmeErrorException.UNKNOWN_CODE, CmeErrorException.of("AT", "vendor specific thing").code());
        assertFalse(n.getMessage().contains("1234"));
        assertEquals("AT+CPIN=****", AtSession.redact("AT+CPIN=\"1234\""));
    }

    @Test
    void lineSplitterSeparatesGarbageAndOverlongLines() {
        List<String> lines = new ArrayList<>();
        List<String> garbage = new ArrayList<>();
        LineSplitter s = new LineSplitter(32, new LineSplitter.Sink() {
            @Override
            public void line(String text) {
                lines.add(text);
            }

            @Override
            public void garbage(String description) {
                garbage.add(description);
            }
        });
        byte[] in = ("\r\nOK\r\n\r\n+CSQ: 20,99\r\n" + "A".repeat(100) + "\r\nOK\n").getBytes(StandardCharsets.US_ASCII);
        // fed in odd chunks, as a serial port delivers them
        for (int i = 0; i < in.length; i += 7) {
            byte[] chunk = java.util.Arrays.copyOfRange(in, i, Math.min(in.length, i + 7));
            s.feed(chunk, chunk.length);
        }
        byte[] junk = {0x01, (byte) 0xff, 'x', 0x00, '\r'};
        s.feed(junk, junk.length);
        assertEquals(List.of("OK", "+CSQ: 20,99", "OK"), lines);
        assertEquals(2, garbage.size());
        assertTrue(garbage.get(0).startsWith("line longer than 32 bytes (100 bytes)"), garbage.get(0));
        assertTrue(garbage.get(1).contains("\\x01\\xffx\\x00"), garbage.get(1));
    }

    @Test
    void prefixOfCommands() {
        assertEquals("+CREG:", AtSession.prefixOf("AT+CREG?"));
        assertEquals("+CGPADDR:", AtSession.prefixOf("AT+CGPADDR=1"));
        assertEquals("+CSQ:", AtSession.prefixOf("AT+CSQ"));
        assertEquals(null, AtSession.prefixOf("ATE0"));
    }
}
