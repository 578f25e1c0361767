package org.modhub.gprs.internal.at;

import java.io.ByteArrayOutputStream;

/**
 * Splits the modem's byte stream into lines (V.250: lines end with CR, LF or both; empty lines are
 * dropped). A line that holds anything but printable ASCII, or that grows beyond the maximum length, is
 * reported as garbage instead of a line: the rest of an over-long line is dropped up to its end.
 */
public final class LineSplitter {
    /** Receives the lines. */
    public interface Sink {
        void line(String text);

        void garbage(String description);
    }

    private final int maxLength;
    private final Sink sink;
    private final ByteArrayOutputStream current = new ByteArrayOutputStream();
    private boolean binary;
    private boolean overflow;
    private long overflowBytes;

    public LineSplitter(int maxLength, Sink sink) {
        if (maxLength < 16) {
            throw new IllegalArgumentException("maxLength below 16: " + maxLength);
        }
        this.maxLength = maxLength;
        this.sink = sink;
    }

    public void feed(byte[] bytes, int length) {
        for (int i = 0; i < length; i++) {
            byte b = bytes[i];
            if (b == '\r' || b == '\n') {
                end();
                continue;
            }
            if (overflow) {
                overflowBytes++;
                continue;
            }
            if (current.size() >= maxLength) {
                overflow = true;
                overflowBytes = 1;
                continue;
            }
            if ((b < 0x20 && b != '\t') || b == 0x7f || (b & 0x80) != 0) {
                binary = true;
            }
            current.write(b);
        }
    }

    private void end() {
        if (overflow) {
            sink.garbage("line longer than " + maxLength + " bytes (" + (maxLength + overflowBytes)
                    + " bytes) starting '" + printable(current.toByteArray(), 40) + "'");
        } else if (binary) {
            sink.garbage("non-printable bytes in line '" + printable(current.toByteArray(), 80) + "'");
        } else if (current.size() > 0) {
            String text = current.toString(java.nio.charset.StandardCharsets.US_ASCII).strip();
            if (!text.isEmpty()) {
                sink.line(text);
            }
        }
        current.reset();
        binary = false;
        overflow = false;
        overflowBytes = 0;
    }

    /** Printable rendering for log lines and events: non-printable bytes as {@code \xNN}, truncated. */
    static String printable(byte[] bytes, int max) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            if (sb.length() >= max) {
                sb.append("...");
                break;
            }
            int v = b & 0xff;
            if (v >= 0x20 && v < 0x7f && v != '\\' && v != '\'') {
                sb.append((char) v);
            } else {
                sb.append(String.format("\\x%02x", v));
            }
        }
        return sb.toString();
    }
}
