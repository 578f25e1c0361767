package org.modhub.pki.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modhub.api.event.EventKind;
import org.modhub.api.messaging.Envelope;
import org.modhub.api.messaging.EnvelopeCodec;
import org.modhub.api.security.MessageSigner;
import org.modhub.api.security.RemotePartyRole;
import org.modhub.api.security.SecurityCheckException;
import org.modhub.api.security.SecurityCheckException.Reason;
import org.modhub.api.security.SignedEnvelopeCodec;

class CommandVerifierTest {
    static final TestPki PKI = new TestPki();

    @TempDir
    Path dir;
    Fixture fx;
    PkiAgent agent;

    @BeforeEach
    void setUp() throws Exception {
        fx = new Fixture(PKI, dir);
        agent = fx.agent();
    }

    @Test
    void aValidCommandFromAPermittedRoleIsReturnedAndItsCounterPersisted() throws Exception {
        TestPki.Party supplier = PKI.role(RemotePartyRole.SUPPLIER);
        Envelope c = TestPki.command(supplier.id(), 7, Fixture.HUB, 0x0302, ByteBuffer.allocate(8).putLong(500).array());
        assertEquals(c, agent.verify(TestPki.signed(c, supplier)));
        assertEquals(7L, ByteBuffer.wrap(fx.state.get(CommandVerification.COUNTERS, supplier.id().toHex()).orElseThrow())
                .getLong());
        // a fresh agent over the same state refuses the replay
        PkiAgent again = fx.agent();
        SecurityCheckException e = assertThrows(SecurityCheckException.class, () -> again.verify(TestPki.signed(c, supplier)));
        assertEquals(Reason.REPLAYED_COUNTER, e.reason());
        assertEquals("SECURITY_REPLAYED_COUNTER", fx.events.last().code());
        assertEquals(EventKind.AUDIT, fx.events.last().kind());
    }

    /**
     * The hub's way: counters as outbox state rows (hub-core's outbox queue over SQLite); a counter
     * an agent stored in the state store before still counts, and the outbox row is what moves on.
     */
    @Test
    void countersInTheOutboxAreDurableAndTheStateStoreOnesStillCount() throws Exception {
        TestPki.Party supplier = PKI.role(RemotePartyRole.SUPPLIER);
        Path[] pem = PKI.writePem(dir);
        java.util.Map<String, Object> c = new java.util.HashMap<>();
        c.put("provisionAnchors", pem[0].toString());
        c.put("provisionParties", pem[1].toString());
        Path data = dir.resolve("store");
        java.util.function.Function<Long, byte[]> command = n -> TestPki.signed(TestPki.command(supplier.id(), n,
                Fixture.HUB, 0x0001, new byte[] {1}), supplier);
        try (SqliteState store = new SqliteState(data)) {
            // an agent keeping its counters in the state store (as before the outbox took them)
            PkiAgent before = new PkiAgent(store.state, fx.events, Fixture.logger(new java.util.ArrayList<>()),
                    Fixture.config(PkiAgent.Config.class, c), data, Fixture.HUB.toString(), java.util.Map.of(),
                    HubKeys.drbg(), java.time.Instant::now);
            before.verify(command.apply(10L));
            before.close();
            PkiAgent agentWithOutbox = new PkiAgent(store.state, fx.events, Fixture.logger(new java.util.ArrayList<>()),
                    Fixture.config(PkiAgent.Config.class, c), data, Fixture.HUB.toString(), java.util.Map.of(),
                    HubKeys.drbg(), java.time.Instant::now);
            agentWithOutbox.commitCountersWith(store.outbox);
            for (long replay : new long[] {5, 10}) {
                SecurityCheckException e = assertThrows(SecurityCheckException.class,
                        () -> agentWithOutbox.verify(command.apply(replay)));
                assertEquals(Reason.REPLAYED_COUNTER, e.reason());
            }
            agentWithOutbox.verify(command.apply(11L));
            agentWithOutbox.verify(command.apply(15L));
            assertEquals(15L, ByteBuffer.wrap(store.outbox.state(CommandVerification.COUNTERS, supplier.id().toHex())
                    .orElseThrow()).getLong());
            assertEquals(10L, ByteBuffer.wrap(store.state.get(CommandVerification.COUNTERS, supplier.id().toHex())
                    .orElseThrow()).getLong()); // left as it was: the higher of the two counts
            assertThrows(IllegalStateException.class, () -> agentWithOutbox.commitCountersWith(store.outbox));
            agentWithOutbox.close();
        }
        try (SqliteState store = new SqliteState(data)) { // reopened: a fresh agent refuses the replay
            PkiAgent again = new PkiAgent(store.state, fx.events, Fixture.logger(new java.util.ArrayList<>()),
                    Fixture.config(PkiAgent.Config.class, c), data, Fixture.HUB.toString(), java.util.Map.of(),
                    HubKeys.drbg(), java.time.Instant::now);
            again.commitCountersWith(store.outbox);
            SecurityCheckException e = assertThrows(SecurityCheckException.class, () -> again.verify(command.apply(15L)));
            assertEquals(Reason.REPLAYED_COUNTER, e.reason());
            again.verify(command.apply(16L));
            again.close();
        }
    }

    @Test
    void rolesArePerMessageCode() {
        assertEquals(Set.of(RemotePartyRole.RECOVERY), agent.rolesFor(0x0F01));
        assertTrue(agent.rolesFor(0x0001).contains(RemotePartyRole.NETWORK_OPERATOR));
        assertTrue(!agent.rolesFor(0x0001).contains(RemotePartyRole.MANUFACTURER));
    }

    @Test
    void theHubSignsItsResponsesAndTheSignatureVerifiesUnderItsCertificate() throws Exception {
        MessageSigner signer = agent;
        TestPki.Party supplier = PKI.role(RemotePartyRole.SUPPLIER);
        Envelope c = TestPki.command(supplier.id(), 1, Fixture.HUB, 0x0001, new byte[] {1});
        Envelope r = c.respond("r1", Fixture.HUB, c.dateTime(), new byte[] {2, 3});
        byte[] wire = signer.sign(r);
        SignedEnvelopeCodec.SignedEnvelope s = SignedEnvelopeCodec.decode(wire);
        assertEquals(r, s.envelope());
        assertTrue(Crypto.verify(signer.signingCertificate().getPublicKey(), s.signedBytes(), s.signature()));
        // the JDK's own ECDSA (a different implementation) agrees
        java.security.Signature jdk = java.security.Signature.getInstance("SHA256withECDSAinP1363Format");
        jdk.initVerify(signer.signingCertificate().getPublicKey());
        jdk.update(EnvelopeCodec.encode(r));
        assertTrue(jdk.verify(s.signature()));
        assertThrows(IllegalArgumentException.class, () -> signer.sign(c));
        assertThrows(IllegalArgumentException.class, () -> signer.sign(new Envelope("x",
                org.modhub.api.messaging.MessageType.ALERT, supplier.id(), 1, Fixture.HUB, c.dateTime(), 1, null)));
    }

    @Test
    void signatureMadeByTheJdkIsAcceptedToo() throws Exception {
        TestPki.Party supplier = PKI.role(RemotePartyRole.SUPPLIER);
        Envelope c = TestPki.command(supplier.id(), 3, Fixture.HUB, 0x0001, new byte[] {9});
        byte[] bytes = EnvelopeCodec.encode(c);
        java.security.Signature jdk = java.security.Signature.getInstance("SHA256withECDSAinP1363Format");
        jdk.initSign(java.security.KeyFactory.getInstance("EC").generatePrivate(
                new java.security.spec.PKCS8EncodedKeySpec(supplier.signing().getPrivate().getEncoded())));
        jdk.update(bytes);
        byte[] sig = jdk.sign();
        assertEquals(c, agent.verify(SignedEnvelopeCodec.encode(bytes, sig)));
        assertTrue(Arrays.equals(bytes, SignedEnvelopeCodec.decode(SignedEnvelopeCodec.encode(bytes, sig)).signedBytes()));
    }
}
