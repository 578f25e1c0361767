package org.modhub.umi.internal;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.modhub.api.common.Eui64;
import org.modhub.emulator.umi.internal.MeterKeys;
import org.modhub.emulator.umi.internal.MeterModel;
import org.modhub.emulator.umi.internal.TcpMeterServer;

/** A man in the middle replays an earlier ciphered response: the client refuses it. */
class ReplayTest {
    @Test
    void aReplayedResponseIsRefused() throws Exception {
        try (TcpMeterServer meter = new TcpMeterServer(MeterModel.standard(),
                MeterKeys.hex("4D4D4D0000BC614E", UmiClientTest.EK, UmiClientTest.AK), 0);
                ServerSocket proxy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<byte[]> replies = new CopyOnWriteArrayList<>();
            AtomicBoolean replay = new AtomicBoolean();
            Thread t = new Thread(() -> {
                try (Socket client = proxy.accept(); Socket upstream = new Socket("127.0.0.1", meter.port())) {
                    Thread up = new Thread(() -> pump(client, upstream));
                    up.setDaemon(true);
                    up.start();
                    InputStream in = upstream.getInputStream();
                    OutputStream out = client.getOutputStream();
                    byte[] buf = new byte[4096];
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        byte[] reply = java.util.Arrays.copyOf(buf, n);
                        if (replay.get() && !replies.isEmpty()) {
                            out.write(replies.get(replies.size() - 1)); // the previous response again
                        } else {
                            out.write(reply);
                        }
                        replies.add(reply);
                        out.flush();
                    }
                } catch (Exception ignored) {
                    // closing
                }
            });
            t.setDaemon(true);
            t.start();
            HexFormat hex = HexFormat.of();
            AtomicReference<byte[]> counter = new AtomicReference<>();
            try (UmiClient c = new UmiClient(new TcpTransport("127.0.0.1", proxy.getLocalPort(), Duration.ofSeconds(5)),
                    new UmiClient.LinkSettings(1, 1, hex.parseHex("4D4F444855420001"), hex.parseHex(UmiClientTest.EK),
                            hex.parseHex(UmiClientTest.AK), Duration.ofSeconds(5), Duration.ofSeconds(10)),
                    new InvocationCounter(() -> Optional.ofNullable(counter.get()), counter::set, 100),
                    Eui64.parse("00-11-22-33-44-55-66-77"))) {
                c.associate();
                c.readClock();
                c.readClock();
                assertTrue(ResponseCounter.of(replies.get(replies.size() - 1)).isPresent(),
                        "the proxy saw ciphered responses with a counter");
                replay.set(true);
                assertThrows(UmiException.ReplayException.class, c::readClock);
            }
        }
    }

    private static void pump(Socket from, Socket to) {
        try {
            from.getInputStream().transferTo(to.getOutputStream());
        } catch (Exception ignored) {
            // closing
        }
    }
}
