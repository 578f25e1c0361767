package org.modhub.pki.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Provider;
import java.security.Security;
import java.util.function.Function;

/**
 * The JDK's SunPKCS11 provider configured for one token. Private keys the hub generates there are
 * sensitive and not extractable (the configuration's generation template says so, and
 * {@link HubKeys} refuses a key that would come out); they may sign and derive. The ECDH shared
 * secret itself is read out of the token to run the SP 800-56A KDF in software.
 */
final class Pkcs11 {
    private Pkcs11() {
    }

    /**
     * @param refuse turns a configuration problem into the exception to throw
     */
    static Provider provider(String library, long slot, Function<String, RuntimeException> refuse) {
        if (library == null || library.isBlank()) {
            throw refuse.apply("keyStore pkcs11 needs the token's PKCS#11 library");
        }
        if (!Files.isRegularFile(Path.of(library))) {
            throw refuse.apply(library + " is not a file");
        }
        Provider base = Security.getProvider("SunPKCS11");
        if (base == null) {
            throw refuse.apply("this Java runtime has no SunPKCS11 provider (module jdk.crypto.cryptoki)");
        }
        StringBuilder config = new StringBuilder("--name = modhub\n");
        config.append("library = ").append(library).append('\n');
        if (slot >= 0) {
            config.append("slot = ").append(slot).append('\n');
        } else {
            config.append("slotListIndex = 0\n");
        }
        config.append("attributes(generate, CKO_PRIVATE_KEY, CKK_EC) = {\n")
                .append("  CKA_SENSITIVE = true\n")
                .append("  CKA_EXTRACTABLE = false\n")
                .append("  CKA_SIGN = true\n")
                .append("  CKA_DERIVE = true\n")
                .append("}\n");
        // the ECDH shared secret Z comes out of the token for the SP 800-56A KDF (done in software);
        // the private key it was derived with does not
        config.append("attributes(*, CKO_SECRET_KEY, CKK_GENERIC_SECRET) = {\n")
                .append("  CKA_SENSITIVE = false\n")
                .append("  CKA_EXTRACTABLE = true\n")
                .append("}\n");
        try {
            return base.configure(config.toString());
        } catch (RuntimeException e) {
            throw refuse.apply("cannot load " + library + (slot >= 0 ? " slot " + slot : "") + ": " + e.getMessage());
        }
    }
}
