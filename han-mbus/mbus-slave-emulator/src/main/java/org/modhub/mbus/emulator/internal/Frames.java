package org.modhub.mbus.emulator.internal;

/** EN 60870-5-2 / EN 13757-2 frame formats as the emulator writes them. */
final class Frames {
    static final int ACK = 0xE5;

    private Frames() {
    }

    /** 68 L L 68 [C A CI data] CS 16. */
    static byte[] longFrame(byte[] userData) {
        int l = userData.length;
        byte[] f = new byte[l + 6];
        f[0] = 0x68;
        f[1] = (byte) l;
        f[2] = (byte) l;
        f[3] = 0x68;
        System.arraycopy(userData, 0, f, 4, l);
        int cs = 0;
        for (byte b : userData) {
            cs += b & 0xFF;
        }
        f[4 + l] = (byte) cs;
        f[5 + l] = 0x16;
        return f;
    }
}
