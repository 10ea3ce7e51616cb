package dev.tokenkeeper.runnable.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.fakeidp.FakeIdp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher script the build puts next to the jar ({@code target/tokenkeeper}): the first run
 * records a class-data-sharing archive from a training run, every run uses it, and standard output
 * stays the token alone.
 */
class LauncherIT {

    private static final Path TARGET = Path.of("target");

    @TempDir
    Path work;

    FakeIdp idp;

    @BeforeEach
    void setUp() {
        idp = FakeIdp.start().issueTokens(Duration.ofHours(1));
    }

    @AfterEach
    void tearDown() {
        idp.close();
    }

    record Run(int exit, String out, String err) {}

    /** Runs the launcher; {@code javaOpts} (or null) goes to TOKENKEEPER_JAVA_OPTS. */
    Run run(String javaOpts, String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("sh", TARGET.resolve("tokenkeeper").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        var env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("OAUTH_") || k.startsWith("TOKENKEEPER") || k.equals("XDG_CONFIG_HOME"));
        env.put("OAUTH_TOKEN_URL", idp.tokenUri().toString());
        env.put("OAUTH_CLIENT_ID", "launcher-client");
        env.put("OAUTH_CLIENT_SECRET", "launcher-secret");
        env.put("TOKENKEEPER_HOME", work.resolve("home").toString());
        env.put("XDG_CACHE_HOME", work.resolve("cache").toString());
        env.put("JAVA_HOME", System.getProperty("java.home"));
        if (javaOpts != null) {
            env.put("TOKENKEEPER_JAVA_OPTS", javaOpts);
        }
        Path out = work.resolve("out.txt");
        Path err = work.resolve("err.txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("first run records the archive, the second uses it; both print the token and nothing else, one token request")
    void recordsThenUsesArchive() throws Exception {
        Run first = run(null, "token");
        assertThat(first.exit()).as(first.err()).isZero();
        String token = idp.issuedTokens().get(0);
        assertThat(first.out()).isEqualTo(token + System.lineSeparator());
        assertThat(first.err()).as("no JVM or tokenkeeper warning").isEmpty();
        Path cache = work.resolve("cache").resolve("tokenkeeper");
        List<Path> archives;
        try (var files = Files.list(cache)) {
            archives = files.toList();
        }
        assertThat(archives).singleElement().satisfies(a -> assertThat(a.getFileName().toString()).endsWith(".jsa")
                .doesNotStartWith("."));

        Path classLog = work.resolve("classes.log");
        Run second = run("-Xlog:class+load:file=" + classLog, "token");
        assertThat(second.exit()).as(second.err()).isZero();
        assertThat(second.out()).isEqualTo(token + System.lineSeparator());
        assertThat(second.err()).isEmpty();
        String classes = Files.readString(classLog);
        assertThat(classes).as("tokenkeeper's own classes come from the recorded archive")
                .contains("dev.tokenkeeper.runnable.cli.TokenkeeperCli source: shared objects file (top)");
        // the archive was recorded from the training run (a cached token read), not from this first
        // run, which fetched the token: the cached read and its AES-GCM opening are in it too
        assertThat(classes).as("the cached read comes from the training archive")
                .contains("dev.tokenkeeper.runnable.localstore.CachedToken source: shared objects file (top)")
                .contains("com.sun.crypto.provider.GaloisCounterMode$GCMDecrypt source: shared objects file (top)");
        assertThat(classes).as("SunJCE comes second: no other provider is instantiated to reach it (ProviderOrder)")
                .doesNotContain("sun.security.ec.SunEC ")
                .doesNotContain("sun.security.pkcs11.SunPKCS11 ");
        assertThat(idp.requestCount()).isEqualTo(1);
    }
}
