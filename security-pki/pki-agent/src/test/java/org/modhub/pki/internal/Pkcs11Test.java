package org.modhub.pki.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modhub.api.security.SignedEnvelopeCodec;

/**
 * The PKCS#11 key store against SoftHSM2: the test initialises its own token in a temporary folder
 * (SOFTHSM2_CONF), then runs the agent in child JVMs (the library reads SOFTHSM2_CONF when it
 * loads): keys generated on the token on first start, kept on the next, never extractable; the
 * agent signs and derives through the token; a wrong PIN is refused. Needs the Debian package
 * softhsm2 (installed by .ci/run).
 */
class Pkcs11Test {
    static final Path LIBRARY = Path.of("/usr/lib/softhsm/libsofthsm2.so");
    static final String PIN = "modhub-user-pin-0123";

    @TempDir
    Path dir;

    @Test
    void keysLiveOnTheTokenAndTheAgentSignsAndDerivesThroughIt() throws Exception {
        assumeTrue(Files.isRegularFile(LIBRARY), "SoftHSM2 not installed (apt-get install softhsm2)");
        Path conf = dir.resolve("softhsm2.conf");
        Files.createDirectories(dir.resolve("tokens"));
        Files.writeString(conf, "directories.tokendir = " + dir.resolve("tokens") + "\nobjectstore.backend = file\n"
                + "log.level = ERROR\n");
        String init = run(conf, List.of("softhsm2-util", "--init-token", "--free", "--label", "modhub-test",
                "--so-pin", "so-pin-0123456789", "--pin", PIN));
        Matcher m = Pattern.compile("slot (\\d+)").matcher(init);
        assertTrue(m.find(), init);
        String slot = m.group(1);
        Path pin = dir.resolve("pin");
        Files.writeString(pin, PIN);
        Files.setPosixFilePermissions(pin, PosixFilePermissions.fromString("rw-------"));
        Path data = dir.resolve("data");

        Map<String, String> first = child(conf, data, slot, pin);
        assertEquals("true", first.get("GENERATED"), first.toString());
        assertEquals("false", first.get("EXTRACTABLE"));
        assertEquals("true", first.get("AGREE"), "ECDH on the token matches software ECDH");
        PublicKey sig = KeyFactory.getInstance("EC", Crypto.BC)
                .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(first.get("SIGPUB"))));
        SignedEnvelopeCodec.SignedEnvelope signed = SignedEnvelopeCodec.decode(Base64.getDecoder().decode(first.get("SIGNED")));
        assertTrue(Crypto.verify(sig, signed.signedBytes(), signed.signature()), "the token's signature verifies");
        assertTrue(Base64.getDecoder().decode(first.get("CSR")).length > 100);
        assertTrue(Files.notExists(data.resolve("pki").resolve(HubKeys.FILE)), "no key file next to the token");

        Map<String, String> again = child(conf, data, slot, pin);
        assertEquals("false", again.get("GENERATED"), "the keys on the token are kept");
        assertEquals(first.get("SIGPUB"), again.get("SIGPUB"));

        Files.writeString(pin, "not-the-pin-0123456789");
        Map<String, String> wrong = child(conf, data, slot, pin);
        assertTrue(wrong.containsKey("REFUSED") && wrong.get("REFUSED").contains("secretSource"), wrong.toString());
    }

    private static String run(Path conf, List<String> command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("SOFTHSM2_CONF", conf.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + command);
        assertEquals(0, p.exitValue(), command + ": " + out);
        return out;
    }

    private Map<String, String> child(Path conf, Path data, String slot, Path pin) throws Exception {
        String out = run(conf, List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Pkcs11Child.class.getName(), data.toString(), LIBRARY.toString(),
                slot, pin.toString()));
        Map<String, String> lines = new HashMap<>();
        for (String line : new String(new ByteArrayInputStream(out.getBytes(StandardCharsets.UTF_8)).readAllBytes(),
                StandardCharsets.UTF_8).split("\n")) {
            int sp = line.indexOf(' ');
            if (sp > 0 && line.substring(0, sp).matches("[A-Z]+")) {
                lines.put(line.substring(0, sp), line.substring(sp + 1).trim());
            }
        }
        return lines;
    }
}
