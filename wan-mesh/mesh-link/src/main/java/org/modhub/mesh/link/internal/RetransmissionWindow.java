package org.modhub.mesh.link.internal;

/** Retransmissions of the last N confirmable exchanges, as a share of all transmissions. */
final class RetransmissionWindow {
    private final int[] retransmissions;
    private int next;
    private int size;

    RetransmissionWindow(int capacity) {
        retransmissions = new int[capacity];
    }

    synchronized void add(int count) {
        retransmissions[next] = Math.max(0, count);
        next = (next + 1) % retransmissions.length;
        size = Math.min(size + 1, retransmissions.length);
    }

    synchronized int samples() {
        return size;
    }

    /** Retransmissions / transmissions over the window, 0..100 (rounded down). */
    synchronized int percent() {
        if (size == 0) {
            return 0;
        }
        long re = 0;
        for (int i = 0; i < size; i++) {
            re += retransmissions[i];
        }
        return (int) (100 * re / (size + re));
    }

    synchronized void reset() {
        next = 0;
        size = 0;
    }
}
