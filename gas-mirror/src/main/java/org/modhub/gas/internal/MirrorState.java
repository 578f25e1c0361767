package org.modhub.gas.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.modhub.api.gas.GasPush;

/**
 * What the mirror keeps per meter in the hub-core state store: the latest push, the volume at the
 * last half-hour boundary, and the gaps still to recover. Serialized with a version byte so a
 * later gas-mirror bundle can read what this one wrote.
 */
final class MirrorState {
    static final int VERSION = 1;

    GasPush latest;
    /** Last half-hour boundary with a known volume, epoch ms (0: none yet). */
    long boundary;
    long boundaryVolumeRaw;
    int boundaryScaler;
    /** Gaps still to recover, each as {@code GasProxyService.Gap#encode()}. */
    final List<long[]> gaps = new ArrayList<>();

    byte[] encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(VERSION);
            out.writeBoolean(latest != null);
            if (latest != null) {
                out.writeLong(latest.capturedAt().toEpochMilli());
                out.writeLong(latest.volumeRaw());
                out.writeByte(latest.volumeScaler());
                out.writeLong(latest.todayEnergyWh());
                out.writeLong(latest.todayCostMinor());
            }
            out.writeLong(boundary);
            out.writeLong(boundaryVolumeRaw);
            out.writeByte(boundaryScaler);
            out.writeShort(gaps.size());
            for (long[] g : gaps) {
                out.writeByte(g.length);
                for (long v : g) {
                    out.writeLong(v);
                }
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static MirrorState decode(org.modhub.api.common.Eui64 meter, byte[] data) {
        MirrorState s = new MirrorState();
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
            int version = in.readUnsignedByte();
            if (version != VERSION) {
                throw new IllegalStateException("mirror state of " + meter + " has unknown version " + version);
            }
            if (in.readBoolean()) {
                long at = in.readLong();
                long volume = in.readLong();
                int scaler = in.readByte();
                s.latest = new GasPush(meter, Instant.ofEpochMilli(at), volume, scaler, in.readLong(), in.readLong());
            }
            s.boundary = in.readLong();
            s.boundaryVolumeRaw = in.readLong();
            s.boundaryScaler = in.readByte();
            int n = in.readUnsignedShort();
            for (int i = 0; i < n; i++) {
                long[] g = new long[in.readUnsignedByte()];
                for (int j = 0; j < g.length; j++) {
                    g[j] = in.readLong();
                }
                s.gaps.add(g);
            }
            return s;
        } catch (IOException e) {
            throw new IllegalStateException("mirror state of " + meter + " is unreadable: " + e.getMessage(), e);
        }
    }
}
