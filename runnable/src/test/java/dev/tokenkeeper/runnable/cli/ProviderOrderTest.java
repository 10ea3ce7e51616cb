package dev.tokenkeeper.runnable.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Provider;
import java.security.Security;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProviderOrderTest {

    @TempDir
    Path dir;

    @Test
    @DisplayName("on this JVM's stock providers, SunJCE second answers every algorithm with the same provider as the stock order")
    void sameProviderForEveryAlgorithm() {
        List<Provider> stock = new ArrayList<>();
        for (String name : ProviderOrder.STOCK) {
            Provider p = Security.getProvider(name);
            if (p != null) {
                stock.add(p);
            }
        }
        assertThat(stock).extracting(Provider::getName).contains("SUN", "SunJCE", "SunEC", "SunRsaSign");
        List<Provider> reordered = new ArrayList<>(stock);
        Provider sunJce = reordered.remove(stock.indexOf(Security.getProvider("SunJCE")));
        reordered.add(1, sunJce);

        Map<String, String> before = firstOffering(stock);
        Map<String, String> after = firstOffering(reordered);
        assertThat(before).hasSizeGreaterThan(300); // every algorithm and alias of the JDK's providers
        assertThat(after).isEqualTo(before);
    }

    /** For every "type.algorithm" (and alias) any provider offers: the first provider in {@code order} that offers it. */
    private static Map<String, String> firstOffering(List<Provider> order) {
        Map<String, String> first = new LinkedHashMap<>();
        for (Provider p : order) {
            for (Provider.Service s : p.getServices()) {
                first.putIfAbsent(s.getType() + "." + s.getAlgorithm().toUpperCase(java.util.Locale.ROOT), p.getName());
            }
            for (Object key : p.keySet()) {
                String k = key.toString();
                if (k.startsWith("Alg.Alias.")) {
                    String typeAndAlias = k.substring("Alg.Alias.".length());
                    int dot = typeAndAlias.indexOf('.');
                    String type = typeAndAlias.substring(0, dot);
                    String alias = typeAndAlias.substring(dot + 1);
                    if (p.getService(type, alias) != null) {
                        first.putIfAbsent(type + "." + alias.toUpperCase(java.util.Locale.ROOT), p.getName());
                    }
                }
            }
        }
        return first;
    }

    @Test
    @DisplayName("a stock list gets SunJCE second and AES-GCM from it without instantiating SunEC")
    void stockListReordered() throws Exception {
        String out = probe(null);
        assertThat(out).contains("reordered=true")
                .contains("list=SUN,SunJCE,SunRsaSign,SunEC,SunJSSE,SunJGSS")
                .contains("cipher=SunJCE")
                .doesNotContain("sun.security.ec.SunEC "); // the class-load log of the child
    }

    @Test
    @DisplayName("any other configuration is left alone: a changed list, an added provider, a preferred provider")
    void otherListsLeftAlone() throws Exception {
        for (String config : List.of(
                "security.provider.3=SunJSSE\nsecurity.provider.4=SunEC\n",
                "security.provider.13=SunJCE\n",
                "jdk.security.provider.preferred=AES/GCM/NoPadding:SunJCE\n")) {
            Path file = Files.writeString(dir.resolve("extra-" + config.hashCode() + ".security"), config);
            String out = probe(file);
            assertThat(out).as(config).contains("reordered=false").contains("cipher=SunJCE");
            if (config.startsWith("security.provider.3")) {
                assertThat(out).contains("list=SUN,SunRsaSign,SunJSSE,SunEC,SunJCE");
            }
        }
    }

    /** Runs {@link Probe} in a JVM of its own (the provider list is per process and fixed once used). */
    private String probe(Path extraSecurity) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        if (extraSecurity != null) {
            command.add("-Djava.security.properties=" + extraSecurity);
        }
        command.addAll(List.of("-Xshare:off", "-Xlog:class+load=info:stdout", "-cp", System.getProperty("java.class.path"), Probe.class.getName()));
        Path log = Files.createTempFile(dir, "probe", ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        // a JVM start: bounded so that a hung child fails the test instead of the build
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    /** The child: reorders as the command line does, then reports what it got. */
    public static final class Probe {
        public static void main(String[] args) throws Exception {
            boolean reordered = ProviderOrder.preferSunJce();
            String cipher = Cipher.getInstance("AES/GCM/NoPadding").getProvider().getName();
            List<String> list = new ArrayList<>();
            for (int i = 1; i <= 6; i++) {
                list.add(Security.getProperty("security.provider." + i).strip().split(" ")[0]);
            }
            System.out.println("reordered=" + reordered + " list=" + String.join(",", list) + " cipher=" + cipher);
        }
    }
}
