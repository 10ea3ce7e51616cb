package dev.tokenkeeper.runnable.cli;

import java.security.Security;
import java.util.List;

/**
 * Puts SunJCE second in this process's security provider list when the list is the JDK's stock one,
 * before anything asks for a provider.
 *
 * <p>A cached {@code tokenkeeper token} does one cryptographic operation: it opens the sealed file
 * with AES-GCM, which only SunJCE (fifth in the stock list) offers. Finding it instantiates every
 * provider before it, and SunEC, which lives in another module, is found through the service loader,
 * which instantiates the other modules' providers on the way (PKCS#11, XML signatures, SASL): about
 * a sixth of the instructions of the whole run. In the stock list the providers before SunJCE offer
 * no algorithm SunJCE also offers, so every request is answered by the same provider in either
 * order; {@code ProviderOrderTest} checks that service by service on the JVM that runs the tests.
 *
 * <p>Any other configuration (a FIPS provider, a changed or extended list, a preferred-provider
 * setting) is left exactly as it is. Only the command-line process does this: an embedding
 * application's provider list is its own.
 */
final class ProviderOrder {

    /** The stock {@code security.provider.N} list of JDK 17 to 21 on Linux, in order. */
    static final List<String> STOCK = List.of("SUN", "SunRsaSign", "SunEC", "SunJSSE", "SunJCE", "SunJGSS", "SunSASL",
            "XMLDSig", "SunPCSC", "JdkLDAP", "JdkSASL", "SunPKCS11");

    private ProviderOrder() {}

    /**
     * Moves SunJCE to second place if the configured list is {@link #STOCK} (the PKCS#11 entry may
     * name a configuration file) and nothing prefers another provider; returns whether it did.
     */
    static boolean preferSunJce() {
        try {
            String preferred = Security.getProperty("jdk.security.provider.preferred");
            if (preferred != null && !preferred.isBlank()) {
                return false;
            }
            for (int i = 0; i < STOCK.size(); i++) {
                String configured = Security.getProperty("security.provider." + (i + 1));
                if (configured == null || !name(configured).equals(STOCK.get(i))) {
                    return false;
                }
            }
            if (Security.getProperty("security.provider." + (STOCK.size() + 1)) != null) {
                return false;
            }
            // SUN stays first (SecureRandom, digests); SunJCE, then the rest in their order
            List<String> order = new java.util.ArrayList<>(STOCK.size());
            for (int i = 0; i < STOCK.size(); i++) {
                order.add(Security.getProperty("security.provider." + (i + 1)));
            }
            String sunJce = order.remove(4);
            order.add(1, sunJce);
            for (int i = 0; i < order.size(); i++) {
                Security.setProperty("security.provider." + (i + 1), order.get(i));
            }
            return true;
        } catch (SecurityException e) {
            return false; // a security manager refuses: leave the list alone
        }
    }

    /** The provider's name in a {@code security.provider.N} entry ({@code SunPKCS11 /path/nss.cfg}). */
    private static String name(String entry) {
        String s = entry.strip();
        int space = s.indexOf(' ');
        return space < 0 ? s : s.substring(0, space);
    }
}
