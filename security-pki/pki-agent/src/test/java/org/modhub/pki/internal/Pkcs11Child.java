package org.modhub.pki.internal;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.Provider;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import javax.crypto.KeyAgreement;
import org.modhub.api.common.Eui64;
import org.modhub.api.messaging.Envelope;
import org.modhub.api.messaging.MessageType;
import org.modhub.api.security.KeyUse;

/**
 * The child of {@link Pkcs11Test}, run with SOFTHSM2_CONF set (the PKCS#11 library reads it when it
 * loads): a PKI agent with {@code keyStore=pkcs11} over the test token, reporting on stdout.
 * Args: data dir, library, slot, PIN file.
 */
public final class Pkcs11Child {
    public static void main(String[] args) throws Exception {
        Map<String, Object> c = new HashMap<>();
        c.put("keyStore", "pkcs11");
        c.put("pkcs11Library", args[1]);
        c.put("pkcs11Slot", Long.parseLong(args[2]));
        c.put("secretSource", "file:" + args[3]);
        PkiAgent agent;
        MemoryEventLog events = new MemoryEventLog();
        try {
            agent = new PkiAgent(new MemoryStateStore(), events, Fixture.logger(new ArrayList<>()),
                    Fixture.config(PkiAgent.Config.class, c), Path.of(args[0]), Fixture.HUB.toString(), Map.of(),
                    HubKeys.drbg(), Instant::now);
        } catch (IllegalArgumentException e) {
            System.out.println("REFUSED " + e.getMessage().replace('\n', ' '));
            return;
        }
        System.out.println("GENERATED " + events.events.stream().anyMatch(e -> e.code().equals("KEYS_GENERATED")));
        System.out.println("SIGPUB " + Base64.getEncoder().encodeToString(
                agent.hubCertificate(KeyUse.DIGITAL_SIGNATURE).getPublicKey().getEncoded()));
        Envelope alert = new Envelope("a-1", MessageType.ALERT, Fixture.HUB, 1, Eui64.parse("90-B3-D5-1F-30-01-00-00"),
                Instant.now(), 0x8F34, new byte[] {1, 2, 3});
        System.out.println("SIGNED " + Base64.getEncoder().encodeToString(agent.sign(alert)));
        System.out.println("CSR " + Base64.getEncoder().encodeToString(agent.certificateSigningRequest(KeyUse.KEY_AGREEMENT)));

        // key agreement on the token equals a software ECDH against the hub's key-agreement public key
        Provider token = Pkcs11.provider(args[1], Long.parseLong(args[2]), IllegalStateException::new);
        char[] pin = SecretSource.read("file:" + args[3], false, Map.of(), HubKeys.drbg());
        HubKeys keys = HubKeys.onToken(Fixture.HUB, token, pin, HubKeys.drbg());
        KeyPair peer = Crypto.generateP256(HubKeys.drbg());
        byte[] onToken = keys.agree(peer.getPublic());
        KeyAgreement soft = KeyAgreement.getInstance("ECDH", Crypto.BC);
        soft.init(peer.getPrivate());
        soft.doPhase(keys.publicKey(KeyUse.KEY_AGREEMENT), true);
        System.out.println("AGREE " + Arrays.equals(onToken, soft.generateSecret()));

        // the private keys are token objects that never come out
        KeyStore ks = KeyStore.getInstance("PKCS11", token);
        ks.load(null, pin);
        boolean extractable = false;
        for (String alias : new String[] {"digital-signature", "key-agreement"}) {
            java.security.Key k = ks.getKey(alias, null);
            extractable |= k == null || k.getEncoded() != null;
        }
        System.out.println("EXTRACTABLE " + extractable);
        System.out.println("DONE");
    }
}
