package org.modhub.pki.internal;

import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.ArrayList;
import org.modhub.api.security.RemotePartyRole;

/**
 * Which roles may issue which message codes, and the value ranges of payload fields, parsed from
 * configuration strings:
 *
 * <ul>
 * <li>code roles: {@code "0x0F01=RECOVERY"}, {@code "0x0101=SUPPLIER|ACCESS_CONTROL_BROKER"}; a code
 * listed with {@code NONE} may be issued by nobody; codes not listed may be issued by the default
 * roles;</li>
 * <li>value ranges: {@code "0x0302:0:8:1:25000"}: for message code 0x0302, the unsigned big-endian
 * integer of 8 bytes at payload offset 0 must lie in 1..25000 (the payload must hold it).</li>
 * </ul>
 */
public final class Policy {
    /** A range rule. */
    public record Range(int code, int offset, int length, long min, long max) {
    }

    private final Map<Integer, Set<RemotePartyRole>> codeRoles;
    private final Set<RemotePartyRole> defaultRoles;
    private final Map<Integer, List<Range>> ranges;

    public Policy(Map<Integer, Set<RemotePartyRole>> codeRoles, Set<RemotePartyRole> defaultRoles,
            Map<Integer, List<Range>> ranges) {
        this.codeRoles = Map.copyOf(codeRoles);
        this.defaultRoles = Collections.unmodifiableSet(defaultRoles.isEmpty() ? EnumSet.noneOf(RemotePartyRole.class)
                : EnumSet.copyOf(defaultRoles));
        this.ranges = Map.copyOf(ranges);
    }

    /** @throws IllegalArgumentException with "field: what" if a string does not parse */
    public static Policy parse(String[] codeRoles, String[] defaultRoles, String[] ranges) {
        Map<Integer, Set<RemotePartyRole>> cr = new HashMap<>();
        for (String entry : codeRoles) {
            String[] kv = entry.split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("codeRoles: '" + entry + "' is not CODE=ROLE|ROLE");
            }
            int code = code("codeRoles", kv[0]);
            if (cr.put(code, roles("codeRoles", kv[1])) != null) {
                throw new IllegalArgumentException("codeRoles: code " + kv[0].trim() + " listed twice");
            }
        }
        Set<RemotePartyRole> def = roles("defaultRoles", String.join("|", defaultRoles));
        Map<Integer, List<Range>> rr = new HashMap<>();
        for (String entry : ranges) {
            String[] f = entry.split(":");
            if (f.length != 5) {
                throw new IllegalArgumentException("valueRanges: '" + entry + "' is not CODE:OFFSET:LENGTH:MIN:MAX");
            }
            try {
                Range r = new Range(code("valueRanges", f[0]), Integer.parseInt(f[1].trim()), Integer.parseInt(f[2].trim()),
                        Long.parseLong(f[3].trim()), Long.parseLong(f[4].trim()));
                if (r.offset() < 0 || r.length() < 1 || r.length() > 7 && !(r.length() == 8 && r.min() >= 0)
                        || r.min() > r.max()) {
                    throw new IllegalArgumentException("valueRanges: '" + entry
                            + "' needs offset >= 0, length 1..8 and min <= max");
                }
                rr.computeIfAbsent(r.code(), k -> new ArrayList<>()).add(r);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("valueRanges: '" + entry + "' has a field that is not a number");
            }
        }
        return new Policy(cr, def, rr);
    }

    private static int code(String field, String text) {
        try {
            int c = Integer.decode(text.trim());
            if (c < 0 || c > 0xFFFF) {
                throw new NumberFormatException();
            }
            return c;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(field + ": '" + text.trim() + "' is not a message code 0..0xFFFF");
        }
    }

    private static Set<RemotePartyRole> roles(String field, String text) {
        Set<RemotePartyRole> out = EnumSet.noneOf(RemotePartyRole.class);
        for (String r : text.split("\\|")) {
            String name = r.trim();
            if (name.isEmpty() || name.equals("NONE")) {
                continue;
            }
            try {
                out.add(RemotePartyRole.valueOf(name));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(field + ": '" + name + "' is not a role (one of "
                        + java.util.Arrays.toString(RemotePartyRole.values()) + " or NONE)");
            }
        }
        return out;
    }

    public Set<RemotePartyRole> rolesFor(int code) {
        return codeRoles.getOrDefault(code, defaultRoles);
    }

    public boolean listed(int code) {
        return codeRoles.containsKey(code);
    }

    public List<Range> ranges(int code) {
        return ranges.getOrDefault(code, List.of());
    }

    /** The first rule the payload breaks, as text, or null if it breaks none. */
    public String rangeViolation(int code, byte[] payload) {
        for (Range r : ranges(code)) {
            if (payload.length < r.offset() + r.length()) {
                return String.format("payload of %d bytes too short for the value at %d..%d", payload.length,
                        r.offset(), r.offset() + r.length());
            }
            long v = 0;
            for (int i = 0; i < r.length(); i++) {
                v = (v << 8) | (payload[r.offset() + i] & 0xFF);
            }
            if (v < r.min() || v > r.max() || (r.length() == 8 && v < 0)) {
                return String.format("value %s at offset %d out of %d..%d", Long.toUnsignedString(v), r.offset(), r.min(),
                        r.max());
            }
        }
        return null;
    }
}
