package org.modhub.pki.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.modhub.api.common.Eui64;
import org.modhub.api.event.EventKind;
import org.modhub.api.event.HubEvent;
import org.modhub.api.messaging.Envelope;
import org.modhub.api.messaging.EnvelopeCodec;
import org.modhub.api.messaging.MessageType;
import org.modhub.api.security.RemotePartyRole;
import org.modhub.api.security.SecurityCheckException;
import org.modhub.api.security.SecurityCheckException.Reason;
import org.modhub.api.security.SignedEnvelopeCodec;

/**
 * The attack corpus: several hundred signed-command attacks against one PKI agent, each of which
 * must be refused with its reason, leave the state store exactly as it was, and write one security
 * event to the audit log. The corpus ends with a legitimate command whose counter is just above the
 * last accepted one: it passes only if no refused command advanced a counter.
 */
class AttackCorpusTest {
    static final TestPki PKI = new TestPki();
    static final Eui64 HUB = Fixture.HUB;
    static final int MAX = 4096;

    @TempDir
    Path dir;

    record Attack(String name, byte[] bytes, Reason expected) {
    }

    private static byte[] u64(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    private static Envelope cmd(TestPki.Party from, long counter, int code, byte[] payload) {
        return TestPki.command(from.id(), counter, HUB, code, payload);
    }

    private static Envelope at(Envelope e, Instant when) {
        return new Envelope(e.messageId(), e.type(), e.originator(), e.originatorCounter(), e.recipient(), when,
                e.messageCode(), e.payload());
    }

    @TestFactory
    Stream<DynamicTest> everyAttackIsRefusedBeforeAnyStateChangesAndAudited() throws Exception {
        Fixture fx = new Fixture(PKI, dir);
        PkiAgent agent = fx.agent(Map.of("maxCommandBytes", MAX));
        TrustState trust = agent.trust();
        TestPki.Party supplier = PKI.role(RemotePartyRole.SUPPLIER);
        TestPki.Party operator = PKI.role(RemotePartyRole.NETWORK_OPERATOR);
        Instant now = Instant.now();

        // special parties: expired, not yet valid, revoked, not whitelisted (all Supplier)
        Date longAgo = Date.from(now.minus(100, ChronoUnit.DAYS));
        TestPki.Party expired = PKI.party(Eui64.of(0xE1), Set.of(RemotePartyRole.SUPPLIER), longAgo,
                Date.from(now.minus(2, ChronoUnit.DAYS)), false);
        TestPki.Party future = PKI.party(Eui64.of(0xE2), Set.of(RemotePartyRole.SUPPLIER),
                Date.from(now.plus(2, ChronoUnit.DAYS)), Certificates.NO_EXPIRY, true);
        TestPki.Party revoked = PKI.party(Eui64.of(0xE3), Set.of(RemotePartyRole.SUPPLIER), longAgo,
                Certificates.NO_EXPIRY, false);
        TestPki.Party unlisted = PKI.party(Eui64.of(0xE4), Set.of(RemotePartyRole.SUPPLIER), longAgo,
                Certificates.NO_EXPIRY, true);
        trust.install(Certificates.parse(expired.signingCert().getEncoded()), now.minus(5, ChronoUnit.DAYS));
        trust.install(Certificates.parse(future.signingCert().getEncoded()), now.plus(3, ChronoUnit.DAYS));
        trust.install(Certificates.parse(revoked.signingCert().getEncoded()), now);
        trust.revoke(Certificates.fingerprint(revoked.signingCert().getEncoded()));
        trust.install(Certificates.parse(unlisted.signingCert().getEncoded()), now);
        trust.whitelist(unlisted.id(), false);

        // accepted history: Supplier at 100, Network Operator at 10
        agent.verify(TestPki.signed(cmd(supplier, 100, 0x0001, new byte[] {1}), supplier));
        byte[] acceptedOperator = TestPki.signed(cmd(operator, 10, 0x0001, new byte[] {1}), operator);
        agent.verify(acceptedOperator);

        List<Attack> corpus = new ArrayList<>();
        long n = 10_000; // attack counters are far above the accepted ones

        // A. forged signatures
        Envelope base = cmd(supplier, n++, 0x0001, new byte[] {1, 2, 3, 4});
        byte[] good = TestPki.signed(base, supplier);
        int envLength = good.length - 64;
        for (int bit = 0; bit < 64; bit++) {
            byte[] b = good.clone();
            b[envLength + bit] ^= (byte) (1 << (bit % 8));
            corpus.add(new Attack("signature byte " + bit + " flipped", b, Reason.BAD_SIGNATURE));
        }
        corpus.add(new Attack("all-zero signature", SignedEnvelopeCodec.encode(EnvelopeCodec.encode(base), new byte[64]),
                Reason.BAD_SIGNATURE));
        byte[] ff = new byte[64];
        Arrays.fill(ff, (byte) 0xFF);
        corpus.add(new Attack("all-ones signature", SignedEnvelopeCodec.encode(EnvelopeCodec.encode(base), ff),
                Reason.BAD_SIGNATURE));
        for (TestPki.Party other : PKI.parties.values()) {
            if (other != supplier) {
                corpus.add(new Attack("signed with " + other.id() + "'s key", TestPki.signed(base, other),
                        Reason.BAD_SIGNATURE));
            }
        }
        corpus.add(new Attack("signature of another command", SignedEnvelopeCodec.encode(EnvelopeCodec.encode(base),
                supplier.sign(EnvelopeCodec.encode(cmd(supplier, n++, 0x0001, new byte[] {9})))), Reason.BAD_SIGNATURE));
        int[] tamperAt = {2, 9, 33, 35, 37, 38, envLength - 4, envLength - 1};
        for (int at : tamperAt) {
            byte[] b = good.clone();
            b[at] ^= 0x01;
            corpus.add(new Attack("header/payload byte " + at + " changed after signing", b, Reason.BAD_SIGNATURE));
        }

        // B. wrong role for the message code
        int[] codes = {0x0F01, 0x0F02, 0x0F03, 0x0F04, 0x0F05, 0x0F06, 0x0101, 0x0102, 0x0201, 0x0301, 0x0302, 0x0303,
            0x0001, 0x0042};
        for (int code : codes) {
            for (var e : PKI.parties.entrySet()) {
                if (!agent.rolesFor(code).contains(e.getKey())) {
                    corpus.add(new Attack(String.format("%s issues 0x%04X", e.getKey(), code),
                            TestPki.signed(cmd(e.getValue(), n++, code, u64(100)), e.getValue()),
                            Reason.ROLE_NOT_PERMITTED));
                }
            }
        }

        // C. replayed and stale counters
        for (long c : new long[] {100, 99, 50, 1, 0}) {
            corpus.add(new Attack("Supplier counter " + c + " after 100",
                    TestPki.signed(cmd(supplier, c, 0x0001, new byte[] {5}), supplier), Reason.REPLAYED_COUNTER));
        }
        corpus.add(new Attack("exact replay of an accepted command", acceptedOperator, Reason.REPLAYED_COUNTER));
        corpus.add(new Attack("Network Operator counter 9 after 10",
                TestPki.signed(cmd(operator, 9, 0x0001, new byte[] {5}), operator), Reason.REPLAYED_COUNTER));

        // D. date-time outside the window (default 86400 s)
        Duration v = Duration.ofSeconds(86_400);
        Instant[] stale = {now.minus(v).minusSeconds(60), now.plus(v).plusSeconds(60), Instant.EPOCH,
            now.minus(30, ChronoUnit.DAYS), now.plus(30, ChronoUnit.DAYS), Instant.parse("9999-12-31T23:59:59Z")};
        for (Instant t : stale) {
            corpus.add(new Attack("date-time " + t, TestPki.signed(at(cmd(supplier, n++, 0x0001, new byte[] {1}),
                    t.truncatedTo(ChronoUnit.MILLIS)), supplier), Reason.STALE_DATE_TIME));
        }

        // E. certificates: expired, not yet valid, revoked, unknown originator, not whitelisted
        for (int code : new int[] {0x0001, 0x0101, 0x0302}) {
            corpus.add(new Attack("expired certificate, code " + code,
                    TestPki.signed(cmd(expired, n++, code, u64(10)), expired), Reason.CERTIFICATE_EXPIRED));
            corpus.add(new Attack("not-yet-valid certificate, code " + code,
                    TestPki.signed(cmd(future, n++, code, u64(10)), future), Reason.CERTIFICATE_NOT_YET_VALID));
            corpus.add(new Attack("revoked certificate, code " + code,
                    TestPki.signed(cmd(revoked, n++, code, u64(10)), revoked), Reason.CERTIFICATE_REVOKED));
            corpus.add(new Attack("not whitelisted, code " + code,
                    TestPki.signed(cmd(unlisted, n++, code, u64(10)), unlisted), Reason.NOT_WHITELISTED));
        }
        TestPki stranger = new TestPki(0x7700000000000000L);
        for (var e : stranger.parties.entrySet()) {
            corpus.add(new Attack("party of a foreign PKI (" + e.getKey() + ")",
                    TestPki.signed(cmd(e.getValue(), n++, 0x0001, new byte[] {1}), e.getValue()),
                    Reason.UNKNOWN_ORIGINATOR));
        }
        // a foreign party claiming a known party's id: its signature cannot verify under the real certificate
        corpus.add(new Attack("foreign key claiming the Supplier's id",
                TestPki.signed(cmd(supplier, n++, 0x0001, new byte[] {1}), stranger.role(RemotePartyRole.SUPPLIER)),
                Reason.BAD_SIGNATURE));

        // F. truncated and padded messages
        Envelope small = cmd(supplier, n++, 0x0001, new byte[] {7, 7});
        byte[] whole = TestPki.signed(small, supplier);
        for (int len = 0; len < whole.length; len++) {
            corpus.add(new Attack("truncated to " + len + " of " + whole.length + " bytes", Arrays.copyOf(whole, len),
                    Reason.MALFORMED));
        }
        for (int extra : new int[] {1, 2, 63, 64, 65}) {
            corpus.add(new Attack(extra + " bytes appended", Arrays.copyOf(whole, whole.length + extra),
                    Reason.MALFORMED));
        }
        corpus.add(new Attack("unsigned envelope", EnvelopeCodec.encode(small), Reason.MALFORMED));

        // G. oversized
        corpus.add(new Attack("random bytes above the maximum", new byte[MAX + 1], Reason.OVERSIZED));
        corpus.add(new Attack("well-formed command above the maximum",
                TestPki.signed(cmd(supplier, n++, 0x0001, new byte[MAX]), supplier), Reason.OVERSIZED));
        corpus.add(new Attack("1 MiB", new byte[1 << 20], Reason.OVERSIZED));

        // H. out-of-range values (top-up 0x0302: 1..25000; debt 0x0303: 0..25000)
        for (long value : new long[] {0, 25_001, 1_000_000, Long.MAX_VALUE, -1}) {
            corpus.add(new Attack("top-up of " + Long.toUnsignedString(value),
                    TestPki.signed(cmd(supplier, n++, 0x0302, u64(value)), supplier), Reason.VALUE_OUT_OF_RANGE));
        }
        corpus.add(new Attack("top-up payload of 7 bytes", TestPki.signed(cmd(supplier, n++, 0x0302, new byte[7]),
                supplier), Reason.VALUE_OUT_OF_RANGE));
        corpus.add(new Attack("top-up without payload", TestPki.signed(cmd(supplier, n++, 0x0302, new byte[0]),
                supplier), Reason.VALUE_OUT_OF_RANGE));
        corpus.add(new Attack("debt adjustment of 25001", TestPki.signed(cmd(supplier, n++, 0x0303, u64(25_001)),
                supplier), Reason.VALUE_OUT_OF_RANGE));

        // I. wrong recipient
        for (Eui64 to : new Eui64[] {Eui64.of(0), Eui64.of(-1), Eui64.of(HUB.value() + 1), Eui64.of(HUB.value() - 1),
            supplier.id()}) {
            Envelope e = TestPki.command(supplier.id(), n++, to, 0x0001, new byte[] {1});
            corpus.add(new Attack("addressed to " + to, TestPki.signed(e, supplier), Reason.WRONG_RECIPIENT));
        }

        // J. not a command, broken header fields
        for (MessageType t : new MessageType[] {MessageType.RESPONSE, MessageType.ALERT}) {
            Envelope e = new Envelope("x" + n, t, supplier.id(), n++, HUB, Instant.now().truncatedTo(ChronoUnit.MILLIS),
                    0x0001, new byte[] {1});
            corpus.add(new Attack("a " + t + " on the command path", TestPki.signed(e, supplier), Reason.NOT_A_COMMAND));
        }
        Envelope plain = cmd(supplier, n++, 0x0001, new byte[] {1});
        byte[] enc = EnvelopeCodec.encode(plain);
        for (int[] change : new int[][] {{1, 0}, {1, 4}, {1, 255}, {0, 0}, {0, 2}, {36, 0}, {36, 129}, {36, 255}}) {
            byte[] b = enc.clone();
            b[change[0]] = (byte) change[1];
            corpus.add(new Attack("header byte " + change[0] + " set to " + change[1],
                    SignedEnvelopeCodec.encode(b, supplier.sign(b)), Reason.MALFORMED));
        }
        byte[] negative = enc.clone();
        negative[2] = (byte) 0x80; // originator counter with the sign bit
        corpus.add(new Attack("negative originator counter", SignedEnvelopeCodec.encode(negative, supplier.sign(negative)),
                Reason.MALFORMED));
        byte[] badLength = enc.clone();
        ByteBuffer.wrap(badLength).putInt(37 + plain.messageId().length(), 0x7FFF_FFFF);
        corpus.add(new Attack("payload length 2^31-1", SignedEnvelopeCodec.encode(badLength, supplier.sign(badLength)),
                Reason.MALFORMED));
        corpus.add(new Attack("null", null, Reason.MALFORMED));

        assertTrue(corpus.size() >= 200, "corpus has " + corpus.size() + " cases");

        List<DynamicTest> tests = new ArrayList<>();
        for (Attack a : corpus) {
            tests.add(DynamicTest.dynamicTest(a.name(), () -> {
                Map<String, String> before = fx.state.snapshot();
                long writes = fx.state.writes.get();
                int events = fx.events.size();
                SecurityCheckException e = assertThrows(SecurityCheckException.class, () -> agent.verify(a.bytes()));
                assertEquals(a.expected(), e.reason(), e.getMessage());
                assertEquals(writes, fx.state.writes.get(), "a refused command wrote state");
                assertEquals(before, fx.state.snapshot());
                assertEquals(events + 1, fx.events.size(), "one security event per refusal");
                HubEvent logged = fx.events.last();
                assertEquals(EventKind.AUDIT, logged.kind());
                assertEquals("SECURITY_" + a.expected().name(), logged.code());
                assertNotNull(logged.detail());
            }));
        }
        tests.add(DynamicTest.dynamicTest("after the corpus the next legitimate counters are still accepted", () -> {
            agent.verify(TestPki.signed(cmd(supplier, 101, 0x0302, u64(2_000)), supplier));
            agent.verify(TestPki.signed(cmd(operator, 11, 0x0001, new byte[] {1}), operator));
        }));
        tests.add(DynamicTest.dynamicTest("the whole corpus through hub-core's router pipeline: every attack refused "
                + "and alerted, no handler run, legitimate commands around it answered signed", () -> {
            throughTheRouter(fx, agent, corpus, supplier, operator);
        }));
        return tests.stream();
    }

    /**
     * The corpus as a head-end session delivers it, interleaved with legitimate commands, into the
     * real {@link org.modhub.core.internal.router.HubMessageRouter} (several workers, the agent as
     * verifier and signer): handlers see exactly the legitimate commands, in order; every attack is
     * refused and alerted (signed by the hub); every legitimate command is answered signed.
     */
    private static void throughTheRouter(Fixture fx, PkiAgent agent, List<Attack> corpus, TestPki.Party supplier,
            TestPki.Party operator) throws Exception {
        List<org.modhub.api.messaging.OutboundMessage> sent = java.util.Collections.synchronizedList(new ArrayList<>());
        org.modhub.api.messaging.Outbox outbox = new org.modhub.api.messaging.Outbox() {
            @Override
            public void enqueue(org.modhub.api.messaging.OutboundMessage m) {
                sent.add(m);
            }

            @Override
            public void enqueueAll(List<org.modhub.api.messaging.OutboundMessage> messages) {
                sent.addAll(messages);
            }

            @Override
            public org.modhub.api.messaging.OutboxStats stats() {
                return new org.modhub.api.messaging.OutboxStats(sent.size(), 0, 0, 0, java.util.Optional.empty());
            }

            @Override
            public java.util.concurrent.CompletionStage<Void> enqueueAllAsync(
                    List<org.modhub.api.messaging.OutboundMessage> messages) {
                sent.addAll(messages);
                return java.util.concurrent.CompletableFuture.completedFuture(null);
            }

            @Override
            public java.util.Optional<byte[]> state(String namespace, String key) {
                throw new UnsupportedOperationException("this agent keeps its counters in the state store");
            }

            @Override
            public java.util.concurrent.CompletionStage<Boolean> compareAndSetState(String namespace, String key,
                    byte[] expected, byte[] value) {
                throw new UnsupportedOperationException("this agent keeps its counters in the state store");
            }
        };
        org.osgi.framework.BundleContext context = (org.osgi.framework.BundleContext) java.lang.reflect.Proxy
                .newProxyInstance(AttackCorpusTest.class.getClassLoader(), new Class<?>[] {org.osgi.framework.BundleContext.class},
                        (p, m, a) -> m.getName().equals("getProperty") && "modhub.hub.id".equals(a[0]) ? HUB.toString() : null);
        List<String> log = java.util.Collections.synchronizedList(new ArrayList<>());
        org.modhub.core.internal.router.HubMessageRouter router = new org.modhub.core.internal.router.HubMessageRouter(
                outbox, fx.state, fx.events, new org.modhub.core.internal.config.ConfigGuard(context, Fixture.logger(log)),
                Fixture.logger(log), context, Fixture.config(org.modhub.core.internal.router.HubMessageRouter.Config.class,
                        Map.of("commandWorkers", 4, "securityAlertsPerMinute", 100_000)), Map.of());
        try {
            router.setVerifier(agent);
            router.setSigner(agent);
            List<String> handled = java.util.Collections.synchronizedList(new ArrayList<>());
            int[] every = new int[0x10000];
            for (int i = 0; i < every.length; i++) {
                every[i] = i;
            }
            router.addHandler(c -> {
                handled.add(c.messageId());
                return java.util.concurrent.CompletableFuture.completedFuture(
                        c.respond("r-" + c.messageId(), HUB, Instant.now(), new byte[] {1}));
            }, Map.of(org.modhub.api.messaging.MessageHandler.MESSAGE_CODES, every));
            List<org.modhub.api.wan.HeadEndSession.InboundListener> in = new ArrayList<>();
            router.addSession(new org.modhub.api.wan.HeadEndSession() {
                public String technology() {
                    return "test";
                }

                public boolean isConnected() {
                    return true;
                }

                public int maxPayloadSize() {
                    return 65_536;
                }

                public java.util.concurrent.CompletionStage<Instant> publish(String topic, byte[] payload, int qos) {
                    return java.util.concurrent.CompletableFuture.completedFuture(Instant.now());
                }

                public Subscription subscribe(String filter, int qos, InboundListener listener) {
                    in.add(listener);
                    return () -> in.remove(listener);
                }
            });
            List<String> legitimate = new ArrayList<>();
            long s = 1_000;
            long o = 5_000;
            int i = 0;
            for (Attack a : corpus) {
                if (i++ % 10 == 0) { // a legitimate command now and then, from both parties
                    Envelope c = cmd(i % 20 == 1 ? supplier : operator, i % 20 == 1 ? s++ : o++, 0x0001, new byte[] {1});
                    legitimate.add(c.messageId());
                    in.get(0).received("hub/command", TestPki.signed(c, i % 20 == 1 ? supplier : operator));
                }
                in.get(0).received("hub/command", a.bytes());
            }
            assertTrue(router.awaitIdle(Duration.ofSeconds(120)), "pipeline idle");
            assertEquals(legitimate.stream().sorted().toList(), handled.stream().sorted().toList(),
                    "handlers saw exactly the legitimate commands");
            List<org.modhub.api.messaging.OutboundMessage> responses = sent.stream()
                    .filter(m -> m.topic().equals("hub/response")).toList();
            List<org.modhub.api.messaging.OutboundMessage> alerts = sent.stream().filter(m -> m.topic().equals("hub/alert"))
                    .toList();
            assertEquals(legitimate.size(), responses.size(), "every legitimate command answered");
            assertEquals(corpus.size(), alerts.size(), "every attack refused and alerted");
            for (org.modhub.api.messaging.OutboundMessage m : sent) {
                SignedEnvelopeCodec.SignedEnvelope signed = SignedEnvelopeCodec.decode(m.payload());
                assertTrue(Crypto.verify(agent.signingCertificate().getPublicKey(), signed.signedBytes(), signed.signature()),
                        m.topic() + " " + m.id() + " is signed by the hub");
            }
        } finally {
            router.deactivate();
        }
    }
}
