package org.modhub.headend.kura.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.modhub.api.cloud.KuraDataCodec;
import org.modhub.api.messaging.MalformedMessageException;
import org.modhub.headend.kura.internal.proto.KuraPayloadProto.KuraPayload;
import org.modhub.headend.kura.internal.proto.KuraPayloadProto.KuraPayload.KuraMetric;
import org.modhub.headend.kura.internal.proto.KuraPayloadProto.KuraPayload.KuraMetric.ValueType;

/** KuraPayload encoding and decoding with the classes generated from {@code kurapayload.proto}. */
final class KuraPayloads {
    private KuraPayloads() {
    }

    /** A payload with a timestamp, metrics (in map order) and an optional body; gzip'd if smaller. */
    static byte[] encode(Instant timestamp, Map<String, ?> metrics, byte[] body) {
        KuraPayload.Builder b = KuraPayload.newBuilder();
        if (timestamp != null) {
            b.setTimestamp(timestamp.toEpochMilli());
        }
        metrics.forEach((name, value) -> b.addMetric(metric(name, value)));
        if (body != null && body.length > 0) {
            b.setBody(ByteString.copyFrom(body));
        }
        return KuraDataCodec.gzipIfSmaller(b.build().toByteArray());
    }

    static KuraMetric metric(String name, Object value) {
        KuraMetric.Builder m = KuraMetric.newBuilder().setName(name);
        if (value instanceof Double d) {
            m.setType(ValueType.DOUBLE).setDoubleValue(d);
        } else if (value instanceof Float f) {
            m.setType(ValueType.FLOAT).setFloatValue(f);
        } else if (value instanceof Long l) {
            m.setType(ValueType.INT64).setLongValue(l);
        } else if (value instanceof Integer i) {
            m.setType(ValueType.INT32).setIntValue(i);
        } else if (value instanceof Boolean bool) {
            m.setType(ValueType.BOOL).setBoolValue(bool);
        } else if (value instanceof byte[] bytes) {
            m.setType(ValueType.BYTES).setBytesValue(ByteString.copyFrom(bytes));
        } else if (value instanceof String s) {
            m.setType(ValueType.STRING).setStringValue(s);
        } else {
            throw new IllegalArgumentException("metric " + name + ": unsupported value type "
                    + (value == null ? "null" : value.getClass().getName()));
        }
        return m.build();
    }

    /**
     * The value of a metric per its declared type.
     *
     * @throws MalformedMessageException if the value field of its type is missing
     */
    static Object value(KuraMetric m) throws MalformedMessageException {
        boolean present = switch (m.getType()) {
            case DOUBLE -> m.hasDoubleValue();
            case FLOAT -> m.hasFloatValue();
            case INT64 -> m.hasLongValue();
            case INT32 -> m.hasIntValue();
            case BOOL -> m.hasBoolValue();
            case STRING -> m.hasStringValue();
            case BYTES -> m.hasBytesValue();
        };
        if (!present) {
            throw new MalformedMessageException("metric '" + m.getName() + "' of type " + m.getType() + " has no value");
        }
        return switch (m.getType()) {
            case DOUBLE -> m.getDoubleValue();
            case FLOAT -> m.getFloatValue();
            case INT64 -> m.getLongValue();
            case INT32 -> m.getIntValue();
            case BOOL -> m.getBoolValue();
            case STRING -> m.getStringValue();
            case BYTES -> m.getBytesValue().toByteArray();
        };
    }

    /** The metrics of a payload by name (later duplicates win). */
    static Map<String, Object> metrics(KuraPayload p) throws MalformedMessageException {
        Map<String, Object> out = new LinkedHashMap<>();
        for (KuraMetric m : p.getMetricList()) {
            out.put(m.getName(), value(m));
        }
        return out;
    }

    /**
     * Parses a (possibly gzip'd) payload of at most {@code maxBytes} decoded bytes.
     *
     * @throws MalformedMessageException if it is not a KuraPayload or too large
     */
    static KuraPayload parse(byte[] wire, int maxBytes) throws MalformedMessageException {
        if (wire.length > maxBytes) {
            throw new MalformedMessageException("payload of " + wire.length + " bytes exceeds " + maxBytes);
        }
        byte[] raw = KuraDataCodec.gunzipIfNeeded(wire);
        if (raw.length > maxBytes) {
            throw new MalformedMessageException("payload inflates to " + raw.length + " bytes, more than " + maxBytes);
        }
        try {
            return KuraPayload.parseFrom(raw);
        } catch (InvalidProtocolBufferException e) {
            throw new MalformedMessageException("not a KuraPayload: " + e.getMessage(), e);
        }
    }

    /**
     * Best effort for a payload that cannot be parsed whole (malformed or too large): the string
     * metrics that parse on their own, read from the uncompressed bytes in field order and stopping
     * at the first unreadable field. Used only to find where to send the 400 reply.
     */
    static Map<String, String> salvageStringMetrics(byte[] wire, int maxMetricBytes) {
        Map<String, String> out = new LinkedHashMap<>();
        if (KuraDataCodec.isGzip(wire)) {
            return out;
        }
        try {
            CodedInputStream in = CodedInputStream.newInstance(wire);
            while (!in.isAtEnd()) {
                int tag = in.readTag();
                if (WireFormat.getTagFieldNumber(tag) == KuraPayload.METRIC_FIELD_NUMBER
                        && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    int length = in.readRawVarint32();
                    if (length < 0 || length > maxMetricBytes) {
                        return out;
                    }
                    try {
                        KuraMetric m = KuraMetric.parseFrom(in.readRawBytes(length));
                        if (m.getType() == ValueType.STRING && m.hasStringValue()) {
                            out.put(m.getName(), m.getStringValue());
                        }
                    } catch (InvalidProtocolBufferException e) {
                        // skip this metric
                    }
                } else if (!in.skipField(tag)) {
                    return out;
                }
            }
        } catch (IOException | RuntimeException e) {
            // stop at the first unreadable field
        }
        return out;
    }
}
