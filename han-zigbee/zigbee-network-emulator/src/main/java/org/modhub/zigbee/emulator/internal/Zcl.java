package org.modhub.zigbee.emulator.internal;

/** ZCL frame header and general command ids, as the emulated devices read and write them. */
public final class Zcl {
    public static final int READ_ATTRIBUTES = 0x00;
    public static final int READ_ATTRIBUTES_RESPONSE = 0x01;
    public static final int REPORT_ATTRIBUTES = 0x0A;
    public static final int DEFAULT_RESPONSE = 0x0B;

    public static final int TYPE_BITMAP8 = 0x18;
    public static final int TYPE_UINT8 = 0x20;
    public static final int TYPE_UINT24 = 0x22;
    public static final int TYPE_UINT32 = 0x23;
    public static final int TYPE_UINT48 = 0x25;
    public static final int TYPE_INT24 = 0x2A;
    public static final int TYPE_ENUM8 = 0x30;
    public static final int TYPE_UTC = 0xE2;

    public static final int STATUS_SUCCESS = 0x00;
    public static final int STATUS_UNSUPPORTED_ATTRIBUTE = 0x86;
    public static final int STATUS_UNSUP_CLUSTER_COMMAND = 0x81;

    private Zcl() {
    }

    /** A decoded ZCL header. */
    public record Header(boolean clusterSpecific, boolean serverToClient, boolean disableDefaultResponse,
            int sequence, int command) {
    }

    public static Header readHeader(Frames.Reader r) {
        int fc = r.u8();
        if ((fc & 0x04) != 0) {
            r.u16(); // manufacturer code
        }
        int seq = r.u8();
        int cmd = r.u8();
        return new Header((fc & 0x03) == 1, (fc & 0x08) != 0, (fc & 0x10) != 0, seq, cmd);
    }

    public static Frames.Writer header(boolean clusterSpecific, boolean serverToClient, boolean disableDefaultResponse,
            int sequence, int command) {
        int fc = (clusterSpecific ? 1 : 0) | (serverToClient ? 0x08 : 0) | (disableDefaultResponse ? 0x10 : 0);
        return new Frames.Writer().u8(fc).u8(sequence).u8(command);
    }

    /** Appends a value of the given ZCL type. */
    public static void value(Frames.Writer w, int type, long v) {
        switch (type) {
            case TYPE_BITMAP8, TYPE_UINT8, TYPE_ENUM8 -> w.u8((int) v);
            case TYPE_UINT24, TYPE_INT24 -> w.u24(v);
            case TYPE_UINT32, TYPE_UTC -> w.u32(v);
            case TYPE_UINT48 -> w.u48(v);
            default -> throw new IllegalArgumentException("type " + type);
        }
    }

    public static long readValue(Frames.Reader r, int type) {
        return switch (type) {
            case TYPE_BITMAP8, TYPE_UINT8, TYPE_ENUM8 -> r.u8();
            case TYPE_UINT24 -> r.u24();
            case TYPE_INT24 -> {
                long v = r.u24();
                yield (v & 0x800000) != 0 ? v - 0x1000000 : v;
            }
            case TYPE_UINT32, TYPE_UTC -> r.u32();
            case TYPE_UINT48 -> r.u48();
            default -> throw new IllegalArgumentException("unsupported ZCL type 0x" + Integer.toHexString(type));
        };
    }
}
