package dev.tokenkeeper.runnable.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.bootstrap.persistence.LocalFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * When the short path serves a cached token and when it hands over to the full path: decided on an
 * injected clock, against a token the full path saved in a real token directory.
 */
class FastPathTest {

    @RegisterExtension
    final CapturedCli cli = CapturedCli.withIdp();

    @TempDir
    Path home;

    final String secret = "fast-secret-" + UUID.randomUUID();
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    String token;
    Instant saved;

    @BeforeEach
    void saveOneToken() {
        cli.set("OAUTH_TOKEN_URL", cli.idp().tokenUri().toString())
                .set("OAUTH_CLIENT_ID", "fast-client")
                .set("OAUTH_CLIENT_SECRET", secret)
                .set("TOKENKEEPER_HOME", home.toString());
        saved = Instant.now();
        assertThat(cli.run("token")).isZero(); // the full path: fetches and saves a one-hour token
        token = cli.idp().issuedTokens().get(0);
    }

    @AfterEach
    void noSecret() {
        assertThat(cli.printed()).doesNotContain(secret);
        assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain(secret);
    }

    int fast(Instant at, String... args) {
        out.reset();
        return FastPath.run(cli.env(), args, new PrintStream(out, true, StandardCharsets.UTF_8), InstantSource.fixed(at));
    }

    String printed() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    @DisplayName("served while fresh; from the earliest refresh point on, the full path takes over")
    void freshOnly() {
        assertThat(fast(saved, "token")).isZero();
        assertThat(printed()).isEqualTo(token + System.lineSeparator());
        // one hour, defaults: 30 s skew, a 12-minute window (a fifth) => due from 47.5 minutes on at the earliest
        assertThat(fast(saved.plus(Duration.ofMinutes(47)), "token")).isZero();
        assertThat(fast(saved.plus(Duration.ofMinutes(48)), "token")).isEqualTo(FastPath.TAKE_FULL_PATH);
        assertThat(printed()).isEmpty();
        assertThat(fast(saved.plus(Duration.ofHours(2)), "token")).isEqualTo(FastPath.TAKE_FULL_PATH);
    }

    @Test
    @DisplayName("the configured refresh point counts: an explicit refresh.ahead moves it")
    void configuredPolicy() {
        cli.set("TOKENKEEPER_REFRESH_AHEAD", "40m"); // at most half the lifetime: due from 29.5 minutes on
        assertThat(fast(saved.plus(Duration.ofMinutes(30)), "token")).isEqualTo(FastPath.TAKE_FULL_PATH);
        assertThat(fast(saved.plus(Duration.ofMinutes(20)), "token")).isZero();
    }

    @Test
    @DisplayName("only the command lines it knows: anything else goes the full way")
    void onlyKnownCommandLines() {
        assertThat(fast(saved, "token", "--header")).isZero();
        assertThat(printed()).isEqualTo("Bearer " + token + System.lineSeparator());
        assertThat(fast(saved, "token", "--client", "default")).isZero();
        assertThat(fast(saved, "token", "--client=default")).isZero();
        for (String[] args : new String[][] {{"-v", "token"}, {"token", "--verbose"}, {"token", "--client", "other"},
                {"token", "--json"}, {"status", "--header"}, {"revoke"}, {"token", "--scope", "x"}, {"--config"}, {}}) {
            assertThat(fast(saved, args)).as(String.join(" ", args)).isEqualTo(FastPath.TAKE_FULL_PATH);
        }
        assertThat(printed()).isEmpty();
    }

    @Test
    @DisplayName("status of a fresh token: the full path's shape, source store, circuit closed, no token")
    void status() {
        assertThat(fast(saved, "status", "--json")).isZero();
        assertThat(printed()).contains("\"client\":\"default\"", "\"has_token\":true", "\"is_valid\":true",
                "\"source\":\"store\"", "\"circuit\":\"closed\"", "\"refresh_at\":\"").doesNotContain(token);
        assertThat(fast(saved, "status")).isZero();
        assertThat(printed()).contains("has_token=true").doesNotContain(token);
    }

    @Test
    @DisplayName("another client identity (token URL or client id) never reads this client's entry")
    void identity() {
        cli.set("OAUTH_CLIENT_ID", "another-client");
        assertThat(fast(saved, "token")).isEqualTo(FastPath.TAKE_FULL_PATH);
    }

    @Test
    @DisplayName("a changed key file or a damaged token file: no answer here; the full path replaces the token")
    void wrongKeyOrDamagedFile() throws IOException {
        Path keyFile = home.resolve(LocalFiles.KEY_FILE);
        Files.writeString(keyFile, SealingKeys.generateSpec("local1"));
        assertThat(fast(saved, "token")).isEqualTo(FastPath.TAKE_FULL_PATH);
        assertThat(cli.run("token")).isZero();
        assertThat(cli.idp().requestCount()).isEqualTo(2);
        String second = cli.idp().issuedTokens().get(1);
        assertThat(fast(Instant.now(), "token")).isZero();
        assertThat(printed()).isEqualTo(second + System.lineSeparator());

        Files.write(home.resolve(LocalFiles.SEALED_FILE), new byte[] {1, 2, 3, 4, 5});
        assertThat(fast(Instant.now(), "token")).isEqualTo(FastPath.TAKE_FULL_PATH);
        assertThat(cli.run("token")).isZero();
        assertThat(cli.idp().requestCount()).isEqualTo(3);
    }

    @Test
    @DisplayName("a token file open to other users, or a link, is not read here; the full path reports it")
    void refusedFiles() throws IOException {
        Path file = home.resolve(LocalFiles.SEALED_FILE);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
        Path moved = home.resolve("elsewhere");
        Files.move(file, moved);
        Files.createSymbolicLink(file, moved);
        assertThat(fast(saved, "token")).isEqualTo(FastPath.TAKE_FULL_PATH);
        assertThat(printed()).isEmpty();
    }

    @Test
    @DisplayName("a store other than the token file is never read here")
    void otherStores() {
        cli.set("TOKENKEEPER_STORE", "memory");
        assertThat(fast(saved, "token")).isEqualTo(FastPath.TAKE_FULL_PATH);
    }
}
