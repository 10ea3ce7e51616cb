package dev.tokenkeeper.runnable.localstore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.fakeidp.FakeIdp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cached {@code token} and {@code status} in a JVM of their own, with the JVM's class-loading log:
 * the cache hit prints the same answer as the full path while loading none of the machinery (no
 * Vert.x, Failsafe, H2, JDBC, logging framework, command-line model or manager).
 */
class CachedTokenProcessIT {

    /** Packages and classes a cache hit must never load: what makes the full path slow to start. */
    static final List<String> NOT_ON_A_HIT = List.of(" io.vertx.", " io.netty.", " dev.failsafe.", " org.h2.", " java.sql.",
            " org.jdbi.", " ch.qos.logback.", " picocli.", " dev.tokenkeeper.application.TokenManager ",
            " dev.tokenkeeper.adapter.http.VertxTokenEndpoint ", " dev.tokenkeeper.runnable.localstore.SealedLocalFile ");

    @TempDir
    Path work;

    FakeIdp idp;
    final String secret = "secret-" + UUID.randomUUID();
    Map<String, String> env;

    @BeforeEach
    void setUp() {
        idp = FakeIdp.start().issueTokens(Duration.ofHours(1));
        env = Map.of("OAUTH_TOKEN_URL", idp.tokenUri().toString(), "OAUTH_CLIENT_ID", "hit-client",
                "OAUTH_CLIENT_SECRET", secret, "TOKENKEEPER_HOME", work.resolve("home").toString());
    }

    @AfterEach
    void tearDown() {
        idp.close();
    }

    String loadedClasses(String... args) throws IOException {
        Path log = work.resolve("classes-" + UUID.randomUUID() + ".log");
        CliProcess.Result r = CliProcess.await(CliProcess.start(work, env, List.of("-Xlog:class+load:file=" + log), args));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.stderr()).as(r.toString()).isEmpty();
        lastOut = r.stdout();
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    String lastOut;

    @Test
    @DisplayName("a cached token is printed by the short path, which loads none of the machinery; one token request in all")
    void tokenHit() throws IOException {
        String first = loadedClasses("token");
        String token = idp.issuedTokens().get(0);
        assertThat(lastOut).isEqualTo(token + System.lineSeparator());
        assertThat(first).as("the first run fetched it the full way").contains(" io.vertx.core.Vertx ");

        String hit = loadedClasses("token");
        assertThat(lastOut).isEqualTo(token + System.lineSeparator());
        assertThat(hit).contains(" dev.tokenkeeper.runnable.cli.FastPath ");
        for (String absent : NOT_ON_A_HIT) {
            assertThat(hit).as("a cache hit loads no %s", absent.strip()).doesNotContain(absent);
        }
        loadedClasses("token", "--header");
        assertThat(lastOut).isEqualTo("Bearer " + token + System.lineSeparator());
        assertThat(idp.requestCount()).isEqualTo(1);
    }

    @Test
    @DisplayName("status of a cached token: the short path, the shape of the full one, never the token")
    void statusHit() throws IOException {
        loadedClasses("token");
        String token = idp.issuedTokens().get(0);
        String hit = loadedClasses("status", "--json");
        assertThat(lastOut).contains("\"client\":\"default\"", "\"has_token\":true", "\"is_valid\":true",
                "\"freshness\":\"fresh\"", "\"source\":\"store\"", "\"circuit\":\"closed\"").doesNotContain(token);
        assertThat(hit).contains(" dev.tokenkeeper.runnable.cli.FastPath ");
        for (String absent : List.of(" dev.failsafe.", " org.h2.", " java.sql.", " ch.qos.logback.", " picocli.",
                " dev.tokenkeeper.application.TokenManager ")) {
            assertThat(hit).as("a cache hit loads no %s", absent.strip()).doesNotContain(absent);
        }
        assertThat(idp.requestCount()).isEqualTo(1);
    }
}
