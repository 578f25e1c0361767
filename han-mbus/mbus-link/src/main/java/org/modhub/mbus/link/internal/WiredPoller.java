package org.modhub.mbus.link.internal;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.Severity;
import org.modhub.mbus.link.internal.MbusDecodeException.Reason;
import org.openmuc.jmbus.MBusConnection;
import org.openmuc.jmbus.SecondaryAddress;

/**
 * Reads wired meters one after another through jMBus (REQ_UD2 by primary address, or after selecting
 * the meter by its secondary address), checks and decodes each response itself and hands it to the
 * {@link MeterSink}. Not thread-safe: one poll thread.
 */
final class WiredPoller implements AutoCloseable {
    /** A meter to read: by primary address (1..250) or by secondary address. */
    record Address(int primary, Optional<Eui64> secondary) {
        static Address parse(String text) {
            String s = text.strip();
            try {
                if (s.matches("\\d{1,3}")) {
                    int p = Integer.parseInt(s);
                    if (p < 1 || p > 250) {
                        throw new IllegalArgumentException("primary address out of 1..250: " + p);
                    }
                    return new Address(p, Optional.empty());
                }
                return new Address(0xFD, Optional.of(Eui64.parse(s)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("not a primary address (1..250) nor a secondary address (16 hex digits): '"
                        + text + "'", e);
            }
        }

        @Override
        public String toString() {
            return secondary.map(e -> "secondary " + e.toHex()).orElse("primary " + primary);
        }
    }

    /** What a poll did. */
    record Result(int read, int refused, int silent, boolean connected) {
    }

    private final Supplier<CapturingTransport> transports;
    private final List<Address> meters;
    private final MeterSink sink;
    private final Clock clock;
    private final Map<Eui64, Address> learned = new ConcurrentHashMap<>();
    private CapturingTransport transport;
    private MBusConnection connection;
    private volatile boolean connected;

    WiredPoller(Supplier<CapturingTransport> transports, List<Address> meters, MeterSink sink, Clock clock) {
        this.transports = transports;
        this.meters = List.copyOf(meters);
        this.sink = sink;
        this.clock = clock;
    }

    boolean connected() {
        return connected;
    }

    /** The address a device answered at, once it was read. */
    Optional<Address> addressOf(Eui64 device) {
        return Optional.ofNullable(learned.get(device));
    }

    private void ensureConnected() throws IOException {
        if (connection == null) {
            transport = transports.get();
            try {
                connection = transport.connect();
            } catch (IOException | RuntimeException e) {
                transport.close();
                transport = null;
                throw e instanceof IOException io ? io : new IOException(e);
            }
            connected = true;
        }
    }

    private void disconnect() {
        connected = false;
        if (connection != null) {
            connection.close();
        }
        connection = null;
        transport = null;
    }

    Result pollOnce() {
        int read = 0;
        int refused = 0;
        int silent = 0;
        try {
            ensureConnected();
        } catch (IOException e) {
            if (connected || transport == null) {
                sink.event(EventKind.EVENT, "MBUS_LINK_DOWN", Severity.WARNING, null, "cannot connect: " + e.getMessage());
            }
            disconnect();
            return new Result(0, 0, meters.size(), false);
        }
        for (Address a : meters) {
            Optional<Eui64> device = a.secondary();
            byte[] raw;
            try {
                transport.takeCaptured();
                if (a.secondary().isPresent()) {
                    connection.selectComponent(SecondaryAddress.newFromLongHeader(Telegrams.wireOfEui(a.secondary().get()), 0));
                    transport.takeCaptured();
                }
                IOException failure = null;
                try {
                    connection.read(a.primary());
                } catch (IOException e) {
                    failure = e; // a response jMBus could not take: the hub's own checks below say why
                }
                raw = transport.takeCaptured();
                if (raw.length == 0) {
                    throw failure != null ? failure : new IOException("empty response");
                }
            } catch (IOException e) {
                silent++;
                sink.event(EventKind.EVENT, "MBUS_NO_RESPONSE", Severity.WARNING, device.orElse(null), a + ": no response ("
                        + e.getMessage() + ")");
                continue;
            } finally {
                if (a.secondary().isPresent() && connection != null) {
                    try {
                        connection.deselectComponent();
                    } catch (IOException | RuntimeException ignored) {
                        // the next selection replaces it anyway
                    }
                }
            }
            if (handle(a, raw)) {
                read++;
            } else {
                refused++;
            }
        }
        if (silent > 0) {
            disconnect(); // a dropped gateway connection looks like silence: reconnect next time
        }
        return new Result(read, refused, silent, true);
    }

    private boolean handle(Address a, byte[] raw) {
        Instant now = clock.instant();
        try {
            Telegram t = Telegrams.decodeWired(raw, sink.keyLookup());
            if (a.secondary().isPresent() && !a.secondary().get().equals(t.device())) {
                throw new MbusDecodeException(Reason.MALFORMED, a + " answered as " + t.device().toHex());
            }
            learned.put(t.device(), a);
            sink.accept(t, now);
            return true;
        } catch (MbusDecodeException e) {
            sink.refused(e, a.secondary().orElse(null));
            return false;
        }
    }

    /** Sends application data (SND_UD, CI 0x51) to a device read before. */
    void write(Eui64 device, byte[] data) throws IOException {
        Address a = learned.get(device);
        if (a == null) {
            throw new IOException("device " + device + " has not been read on this bus yet");
        }
        ensureConnected();
        if (a.secondary().isPresent()) {
            connection.selectComponent(SecondaryAddress.newFromLongHeader(Telegrams.wireOfEui(a.secondary().get()), 0));
        }
        try {
            connection.write(a.primary(), data);
        } finally {
            if (a.secondary().isPresent()) {
                connection.deselectComponent();
            }
        }
    }

    @Override
    public void close() {
        disconnect();
    }
}
