package org.modhub.gprs.internal.at;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A registration report of one domain ({@code +CREG} circuit-switched, {@code +CGREG} GPRS,
 * {@code +CEREG} EPS), from a query answer ({@code +CREG: <n>,<stat>[,<lac>,<ci>[,<AcT>]]}) or an
 * unsolicited code ({@code +CREG: <stat>[,<lac>,<ci>[,<AcT>]]}).
 *
 * @param domain "CREG", "CGREG" or "CEREG"
 * @param status the registration status
 * @param area location or tracking area code (hex), if reported
 * @param cellId cell id (hex), if reported
 * @param accessTechnology 27.007 AcT (0 GSM, 2 UTRAN, 3 EGPRS, 4-6 HSPA, 7 E-UTRAN, ...), if reported
 */
public record Registration(String domain, RegStatus status, Optional<String> area, Optional<String> cellId,
        OptionalInt accessTechnology) {

    /** Parses the answer to {@code AT+CxREG?}: {@code <n>} comes first. */
    public static Registration parseAnswer(String line) throws AtProtocolException {
        String domain = domainOf(line);
        List<Fields.Field> f = Fields.split(line, "+" + domain + ":");
        if (f.size() < 2) {
            throw new AtProtocolException("too few parameters in '" + line + "'");
        }
        Fields.intAt(f, 0, line); // <n>
        return parseFrom(domain, f, 1, line);
    }

    /**
     * Parses an unsolicited {@code +CxREG:} code. Also accepts the query form (some modems repeat
     * {@code <n>}): a second parameter that is an unquoted number cannot be a location area, which is
     * always quoted.
     */
    public static Registration parseUnsolicited(String line) throws AtProtocolException {
        String domain = domainOf(line);
        List<Fields.Field> f = Fields.split(line, "+" + domain + ":");
        if (f.isEmpty()) {
            throw new AtProtocolException("no status in '" + line + "'");
        }
        int start = f.size() >= 2 && f.get(1).isInt() ? 1 : 0;
        return parseFrom(domain, f, start, line);
    }

    private static Registration parseFrom(String domain, List<Fields.Field> f, int start, String line)
            throws AtProtocolException {
        RegStatus stat = RegStatus.of(Fields.intAt(f, start, line), line);
        Optional<String> area = hex(f, start + 1, line);
        Optional<String> cell = hex(f, start + 2, line);
        OptionalInt act = OptionalInt.empty();
        if (f.size() > start + 3 && !f.get(start + 3).isEmpty()) {
            int a = Fields.intAt(f, start + 3, line);
            if (a > 15) {
                throw new AtProtocolException("access technology " + a + " out of range in '" + line + "'");
            }
            act = OptionalInt.of(a);
        }
        return new Registration(domain, stat, area, cell, act);
    }

    private static Optional<String> hex(List<Fields.Field> f, int index, String line) throws AtProtocolException {
        if (index >= f.size() || f.get(index).text().isEmpty()) {
            return Optional.empty();
        }
        Fields.Field field = f.get(index);
        if (!field.quoted() || !field.text().matches("[0-9A-Fa-f]{1,8}")) {
            throw new AtProtocolException("expected a quoted hex area/cell as parameter " + (index + 1) + " of '"
                    + line + "'");
        }
        return Optional.of(field.text().toUpperCase(java.util.Locale.ROOT));
    }

    private static String domainOf(String line) throws AtProtocolException {
        for (String d : new String[] {"CREG", "CGREG", "CEREG"}) {
            if (line.startsWith("+" + d + ":")) {
                return d;
            }
        }
        throw new AtProtocolException("not a registration report: '" + line + "'");
    }

    /** Name of the access technology for log lines and link properties. */
    public static String technologyName(int act) {
        return switch (act) {
            case 0 -> "GSM";
            case 1 -> "GSM Compact";
            case 2 -> "UTRAN";
            case 3 -> "GSM/EGPRS";
            case 4 -> "UTRAN/HSDPA";
            case 5 -> "UTRAN/HSUPA";
            case 6 -> "UTRAN/HSPA";
            case 7 -> "E-UTRAN";
            case 8 -> "EC-GSM-IoT";
            case 9 -> "E-UTRAN NB-S1";
            case 10 -> "E-UTRA-5GCN";
            case 11 -> "NR-5GCN";
            case 12 -> "NG-RAN";
            case 13 -> "E-UTRA-NR";
            default -> "AcT " + act;
        };
    }

    /** Nominal downlink bandwidth of the access technology in bit/s (a sizing hint, not a measurement). */
    public static long nominalBandwidth(OptionalInt act) {
        if (act.isEmpty()) {
            return 85_600L; // assume the least: GPRS
        }
        return switch (act.getAsInt()) {
            case 0, 1 -> 85_600L;
            case 3, 8 -> 236_800L;
            case 2 -> 384_000L;
            case 4, 5, 6 -> 7_200_000L;
            case 9 -> 60_000L;
            case 7, 10 -> 10_000_000L;
            default -> 50_000_000L;
        };
    }
}
