package org.modhub.pki.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modhub.api.common.Eui64;
import org.modhub.api.security.KeyUse;
import org.modhub.api.security.PayloadCipher;
import org.modhub.api.security.RemotePartyRole;
import org.modhub.api.security.SecurityCheckException;
import org.modhub.api.security.SecurityCheckException.Reason;

/**
 * The payload cipher against a remote party implemented here independently with the JDK's own ECDH
 * (SunEC) and AES-GCM, so both ends agree on the KDF, IV and layout, not just on shared code.
 */
class PayloadCipherTest {
    static final TestPki PKI = new TestPki();
    static final byte[] AAD = "header".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;
    Fixture fx;
    PkiAgent agent;
    TestPki.Party supplier = PKI.role(RemotePartyRole.SUPPLIER);

    @BeforeEach
    void setUp() throws Exception {
        fx = new Fixture(PKI, dir);
        agent = fx.agent();
    }

    /** The party's side: JDK ECDH + the SP 800-56A concat KDF written out here + JDK AES-GCM. */
    private byte[] partyKey(Eui64 sender, Eui64 recipient) throws Exception {
        KeyAgreement ka = KeyAgreement.getInstance("ECDH", "SunEC");
        ka.init(KeyFactory.getInstance("EC", "SunEC").generatePrivate(
                new PKCS8EncodedKeySpec(supplier.agreement().getPrivate().getEncoded())));
        ka.doPhase(agent.hubCertificate(KeyUse.KEY_AGREEMENT).getPublicKey(), true);
        byte[] z = ka.generateSecret();
        java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
        d.update(new byte[] {0, 0, 0, 1});
        d.update(z);
        d.update(new byte[] {0x60, (byte) 0x85, 0x74, 0x05, 0x08, 0x03, 0x00});
        d.update(sender.octets());
        d.update(recipient.octets());
        return Arrays.copyOf(d.digest(), 16);
    }

    private byte[] partyEncrypt(long ic, byte[] plain) throws Exception {
        byte[] iv = ByteBuffer.allocate(12).put(supplier.id().octets()).putInt((int) ic).array();
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(partyKey(supplier.id(), Fixture.HUB), "AES"),
                new GCMParameterSpec(96, iv));
        c.updateAAD(AAD);
        byte[] ct = c.doFinal(plain);
        return ByteBuffer.allocate(12 + ct.length).put(iv).put(ct).array();
    }

    @Test
    void hubToPartyAndBack() throws Exception {
        byte[] plain = "top-up 2000".getBytes(StandardCharsets.UTF_8);
        byte[] sealed = agent.encrypt(supplier.id(), AAD, plain);
        assertEquals(plain.length + PayloadCipher.OVERHEAD, sealed.length);
        assertArrayEquals(Fixture.HUB.octets(), Arrays.copyOf(sealed, 8));
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(partyKey(Fixture.HUB, supplier.id()), "AES"),
                new GCMParameterSpec(96, sealed, 0, 12));
        c.updateAAD(AAD);
        assertArrayEquals(plain, c.doFinal(sealed, 12, sealed.length - 12));

        assertArrayEquals(plain, agent.decrypt(supplier.id(), AAD, partyEncrypt(5, plain)));
    }

    @Test
    void invocationCountersAreNeverReusedAcrossRestarts() throws Exception {
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            seen.add(ic(agent.encrypt(supplier.id(), AAD, new byte[] {1})));
        }
        PkiAgent restarted = fx.agent();
        for (int i = 0; i < 50; i++) {
            long ic = ic(restarted.encrypt(supplier.id(), AAD, new byte[] {1}));
            assertEquals(true, seen.add(ic), "invocation counter " + ic + " reused");
        }
    }

    private static long ic(byte[] sealed) {
        return ByteBuffer.wrap(sealed, 8, 4).getInt() & 0xFFFF_FFFFL;
    }

    @Test
    void tamperedCiphertextTagHeaderAadAndReplaysAreRefusedWithoutStateChange() throws Exception {
        byte[] plain = new byte[40];
        byte[] sealed = partyEncrypt(100, plain);
        List<Object[]> cases = new ArrayList<>();
        for (int i = 0; i < sealed.length; i++) {
            byte[] b = sealed.clone();
            b[i] ^= 0x40;
            // bytes 0..7: system title (not the originator's), 8..11: IV counter, then ciphertext, then tag
            cases.add(new Object[] {"byte " + i, b, AAD, Reason.AUTHENTICATION_FAILED});
        }
        cases.add(new Object[] {"other aad", sealed, "other".getBytes(StandardCharsets.UTF_8), Reason.AUTHENTICATION_FAILED});
        cases.add(new Object[] {"no aad", sealed, null, Reason.AUTHENTICATION_FAILED});
        cases.add(new Object[] {"tag cut", Arrays.copyOf(sealed, sealed.length - 1), AAD, Reason.AUTHENTICATION_FAILED});
        cases.add(new Object[] {"too short", Arrays.copyOf(sealed, 23), AAD, Reason.MALFORMED});
        cases.add(new Object[] {"empty", new byte[0], AAD, Reason.MALFORMED});
        for (Object[] c : cases) {
            Map<String, String> before = fx.state.snapshot();
            int events = fx.events.size();
            SecurityCheckException e = assertThrows(SecurityCheckException.class,
                    () -> agent.decrypt(supplier.id(), (byte[]) c[2], (byte[]) c[1]), (String) c[0]);
            assertEquals(c[3], e.reason(), c[0] + ": " + e.getMessage());
            assertEquals(before, fx.state.snapshot(), (String) c[0]);
            assertEquals(events + 1, fx.events.size());
            assertEquals("SECURITY_" + c[3], fx.events.last().code());
        }
        assertArrayEquals(plain, agent.decrypt(supplier.id(), AAD, sealed));
        SecurityCheckException replay = assertThrows(SecurityCheckException.class,
                () -> agent.decrypt(supplier.id(), AAD, sealed));
        assertEquals(Reason.REPLAYED_COUNTER, replay.reason());
        assertEquals(Reason.REPLAYED_COUNTER, assertThrows(SecurityCheckException.class,
                () -> agent.decrypt(supplier.id(), AAD, partyEncrypt(99, plain))).reason());
        assertArrayEquals(plain, agent.decrypt(supplier.id(), AAD, partyEncrypt(101, plain)));
        // a ciphertext from the supplier presented as another party's
        TestPki.Party operator = PKI.role(RemotePartyRole.NETWORK_OPERATOR);
        assertEquals(Reason.AUTHENTICATION_FAILED, assertThrows(SecurityCheckException.class,
                () -> agent.decrypt(operator.id(), AAD, partyEncrypt(102, plain))).reason());
        // unknown peers
        assertEquals(Reason.UNKNOWN_ORIGINATOR, assertThrows(SecurityCheckException.class,
                () -> agent.encrypt(Eui64.of(42), AAD, plain)).reason());
        assertNotEquals(0, fx.events.size());
    }
}
