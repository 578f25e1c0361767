package org.modhub.gprs.internal.at;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Typed parsers for the information responses the driver reads (3GPP TS 27.007). Each finds its
 * line among the answer's lines by prefix and rejects anything 27.007 does not allow with an
 * {@link AtProtocolException}.
 */
public final class AtResponses {
    private AtResponses() {
    }

    /** SIM state from {@code +CPIN: <code>}. */
    public enum SimState {
        READY, SIM_PIN, SIM_PUK, SIM_PIN2, SIM_PUK2, PH_SIM_PIN, OTHER;

        static SimState of(String code) {
            return switch (code) {
                case "READY" -> READY;
                case "SIM PIN" -> SIM_PIN;
                case "SIM PUK" -> SIM_PUK;
                case "SIM PIN2" -> SIM_PIN2;
                case "SIM PUK2" -> SIM_PUK2;
                case "PH-SIM PIN" -> PH_SIM_PIN;
                default -> OTHER;
            };
        }
    }

    /** {@code +CSQ: <rssi>,<ber>}. */
    public record SignalQuality(int rssi, int ber) {
        /** 27.007: rssi 0 is -113 dBm or less, 31 is -51 dBm or more, 2 dB steps; 99 is not known. */
        public OptionalInt dbm() {
            return rssi == 99 ? OptionalInt.empty() : OptionalInt.of(-113 + 2 * rssi);
        }
    }

    /** {@code +COPS: <mode>[,<format>,<oper>[,<AcT>]]}. */
    public record Operator(int mode, Optional<String> name, OptionalInt accessTechnology) {
    }

    public static SimState cpin(List<String> lines) throws AtProtocolException {
        String line = line(lines, "+CPIN:");
        String code = line.substring(6).strip();
        if (code.startsWith("\"") && code.endsWith("\"") && code.length() >= 2) {
            code = code.substring(1, code.length() - 1);
        }
        if (code.isEmpty()) {
            throw new AtProtocolException("empty SIM state in '" + line + "'");
        }
        return SimState.of(code);
    }

    public static SignalQuality csq(List<String> lines) throws AtProtocolException {
        String line = line(lines, "+CSQ:");
        List<Fields.Field> f = Fields.split(line, "+CSQ:");
        if (f.size() != 2) {
            throw new AtProtocolException("expected <rssi>,<ber> in '" + line + "'");
        }
        int rssi = Fields.intAt(f, 0, line);
        int ber = Fields.intAt(f, 1, line);
        if (rssi > 31 && rssi != 99) {
            throw new AtProtocolException("rssi " + rssi + " out of 0..31, 99 in '" + line + "'");
        }
        if (ber > 7 && ber != 99) {
            throw new AtProtocolException("ber " + ber + " out of 0..7, 99 in '" + line + "'");
        }
        return new SignalQuality(rssi, ber);
    }

    public static Operator cops(List<String> lines) throws AtProtocolException {
        String line = line(lines, "+COPS:");
        List<Fields.Field> f = Fields.split(line, "+COPS:");
        if (f.isEmpty()) {
            throw new AtProtocolException("no mode in '" + line + "'");
        }
        int mode = Fields.intAt(f, 0, line);
        if (mode > 4) {
            throw new AtProtocolException("operator mode " + mode + " out of 0..4 in '" + line + "'");
        }
        Optional<String> name = Optional.empty();
        if (f.size() >= 3) {
            Fields.intAt(f, 1, line);
            if (!f.get(2).quoted()) {
                throw new AtProtocolException("operator name not quoted in '" + line + "'");
            }
            name = Optional.of(f.get(2).text());
        }
        OptionalInt act = f.size() >= 4 ? OptionalInt.of(Fields.intAt(f, 3, line)) : OptionalInt.empty();
        return new Operator(mode, name, act);
    }

    /** {@code +CGACT: <cid>,<state>} lines → cid → active. */
    public static Map<Integer, Boolean> cgact(List<String> lines) throws AtProtocolException {
        Map<Integer, Boolean> out = new LinkedHashMap<>();
        for (String line : lines) {
            if (!line.startsWith("+CGACT:")) {
                continue;
            }
            List<Fields.Field> f = Fields.split(line, "+CGACT:");
            int cid = Fields.intAt(f, 0, line);
            int state = Fields.intAt(f, 1, line);
            if (f.size() != 2 || state > 1) {
                throw new AtProtocolException("expected <cid>,<0|1> in '" + line + "'");
            }
            out.put(cid, state == 1);
        }
        return out;
    }

    /** {@code +CGDCONT: <cid>,<PDP_type>,<APN>,...} lines → cid → APN. */
    public static Map<Integer, String> cgdcont(List<String> lines) throws AtProtocolException {
        Map<Integer, String> out = new LinkedHashMap<>();
        for (String line : lines) {
            if (!line.startsWith("+CGDCONT:")) {
                continue;
            }
            List<Fields.Field> f = Fields.split(line, "+CGDCONT:");
            int cid = Fields.intAt(f, 0, line);
            if (f.size() < 3 || !f.get(1).quoted() || !f.get(2).quoted()) {
                throw new AtProtocolException("expected <cid>,\"<type>\",\"<apn>\" in '" + line + "'");
            }
            out.put(cid, f.get(2).text());
        }
        return out;
    }

    /** The address of context {@code cid} from {@code +CGPADDR: <cid>[,<addr>[,<addr2>]]}, if it has one. */
    public static Optional<String> cgpaddr(List<String> lines, int cid) throws AtProtocolException {
        for (String line : lines) {
            if (!line.startsWith("+CGPADDR:")) {
                continue;
            }
            List<Fields.Field> f = Fields.split(line, "+CGPADDR:");
            if (Fields.intAt(f, 0, line) != cid) {
                continue;
            }
            if (f.size() < 2 || f.get(1).text().isEmpty()) {
                return Optional.empty();
            }
            String addr = f.get(1).text();
            if (!addr.matches("[0-9A-Fa-f.:]{2,64}")) {
                throw new AtProtocolException("not an address in '" + line + "'");
            }
            if (addr.equals("0.0.0.0")) {
                return Optional.empty();
            }
            return Optional.of(addr);
        }
        return Optional.empty();
    }

    /** The first line with {@code prefix}; lines with other prefixes (late answers) are skipped. */
    public static String line(List<String> lines, String prefix) throws AtProtocolException {
        for (String line : lines) {
            if (line.startsWith(prefix)) {
                return line;
            }
        }
        throw new AtProtocolException("no '" + prefix + "' line in the answer " + lines);
    }

    /** The first line of an answer without a prefix (e.g. {@code AT+CGSN}), checked against a pattern. */
    public static String plain(List<String> lines, String pattern, String what) throws AtProtocolException {
        for (String line : lines) {
            if (!line.startsWith("+")) {
                String v = line.strip();
                if (v.startsWith("\"") && v.endsWith("\"") && v.length() >= 2) {
                    v = v.substring(1, v.length() - 1);
                }
                if (!v.matches(pattern)) {
                    throw new AtProtocolException("not a valid " + what + ": '" + line + "'");
                }
                return v;
            }
        }
        throw new AtProtocolException("no " + what + " in the answer " + lines);
    }
}
