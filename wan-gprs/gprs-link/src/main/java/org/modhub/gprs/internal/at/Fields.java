package org.modhub.gprs.internal.at;

import java.util.ArrayList;
import java.util.List;

/** The comma-separated parameters of an information response, quoted strings unquoted. */
final class Fields {
    /** One parameter: its text and whether it was quoted. */
    record Field(String text, boolean quoted) {
        boolean isInt() {
            return !quoted && text.matches("\\d{1,9}");
        }

        boolean isEmpty() {
            return !quoted && text.isEmpty();
        }
    }

    private Fields() {
    }

    /**
     * Splits the text after {@code prefix} into parameters.
     *
     * @throws AtProtocolException if the line does not start with the prefix or a quote is unbalanced
     */
    static List<Field> split(String line, String prefix) throws AtProtocolException {
        if (!line.startsWith(prefix)) {
            throw new AtProtocolException("expected '" + prefix + "' but got '" + line + "'");
        }
        String s = line.substring(prefix.length()).strip();
        List<Field> out = new ArrayList<>();
        if (s.isEmpty()) {
            return out;
        }
        int i = 0;
        while (true) {
            if (i < s.length() && s.charAt(i) == '"') {
                int close = s.indexOf('"', i + 1);
                if (close < 0) {
                    throw new AtProtocolException("unbalanced quote in '" + line + "'");
                }
                out.add(new Field(s.substring(i + 1, close), true));
                i = close + 1;
                while (i < s.length() && s.charAt(i) == ' ') {
                    i++;
                }
                if (i == s.length()) {
                    return out;
                }
                if (s.charAt(i) != ',') {
                    throw new AtProtocolException("text after a quoted parameter in '" + line + "'");
                }
                i++;
            } else {
                int comma = s.indexOf(',', i);
                String t = (comma < 0 ? s.substring(i) : s.substring(i, comma)).strip();
                if (t.indexOf('"') >= 0) {
                    throw new AtProtocolException("stray quote in '" + line + "'");
                }
                out.add(new Field(t, false));
                if (comma < 0) {
                    return out;
                }
                i = comma + 1;
            }
        }
    }

    static int intAt(List<Field> fields, int index, String line) throws AtProtocolException {
        if (index >= fields.size() || !fields.get(index).isInt()) {
            throw new AtProtocolException("expected a number as parameter " + (index + 1) + " of '" + line + "'");
        }
        return Integer.parseInt(fields.get(index).text());
    }
}
