package dev.tokenkeeper.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.bootstrap.cli.TokenkeeperCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The command line against a real OAuth 2.0 server (mock-oauth2-server, in this JVM). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliIT {

    final String secret = "cli-secret-" + UUID.randomUUID();
    MockOAuth2Server server;
    Map<String, String> env;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream stdout;
    PrintStream stderr;

    @BeforeAll
    void startServer() {
        server = new MockOAuth2Server();
        server.start();
        env = new HashMap<>(Map.of(
                "OAUTH_TOKEN_URL", server.tokenEndpointUrl("default").toString(),
                "OAUTH_CLIENT_ID", "cli-client",
                "OAUTH_CLIENT_SECRET", secret,
                "OAUTH_SCOPE", "orders.read",
                // these tests are about one process; the CLI's default file store is tested in persistence/
                "TOKENKEEPER_STORE", "memory"));
    }

    @AfterAll
    void stopServer() {
        server.shutdown();
    }

    @BeforeEach
    void capture() {
        out.reset();
        err.reset();
        stdout = System.out;
        stderr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(stdout);
        System.setErr(stderr);
        // nothing a command printed anywhere may contain the client secret
        assertThat(out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8)).doesNotContain(secret);
    }

    String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    @DisplayName("token prints the access token and nothing else on standard output, exit 0")
    void token() {
        int code = TokenkeeperCli.run(env, "token");
        assertThat(code).isEqualTo(TokenkeeperCli.OK);
        String printed = stdout().strip();
        assertThat(printed.split("\\.")).as("a JWT from the server").hasSize(3);
        assertThat(printed).doesNotContain(" ").doesNotContain("\n");
    }

    @Test
    @DisplayName("token --header prints an Authorization header value")
    void header() {
        assertThat(TokenkeeperCli.run(env, "token", "--header")).isZero();
        assertThat(stdout()).startsWith("Bearer ey");
    }

    @Test
    @DisplayName("status reports has_token, expiry, seconds left and validity, never the token")
    void status() {
        assertThat(TokenkeeperCli.run(env, "status", "--json")).isZero();
        String line = stdout().strip();
        assertThat(line).contains("\"client\":\"default\"", "\"has_token\":true", "\"is_valid\":true", "\"expires_in_seconds\":");
        assertThat(line).doesNotContain("ey"); // JWTs start with "ey"; none may be shown
    }

    @Test
    @DisplayName("an IdP that refuses the client: exit 1 with the failure kind, no secret")
    void refused() {
        Map<String, String> bad = new HashMap<>(env);
        bad.put("OAUTH_TOKEN_URL", "http://127.0.0.1:" + dev.tokenkeeper.testsupport.RequiredServers.freePort() + "/token");
        bad.put("TOKENKEEPER__RESILIENCE__ATTEMPTS", "1");
        assertThat(TokenkeeperCli.run(bad, "token")).isEqualTo(TokenkeeperCli.NO_TOKEN);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("no token [NETWORK]");
        assertThat(stdout()).isEmpty();
    }

    @Test
    @DisplayName("bad configuration: exit 3 and every problem listed")
    void badConfig() {
        Map<String, String> bad = Map.of("OAUTH_CLIENT_ID", "x", "OAUTH_CLIENT_SECRET", secret,
                "TOKENKEEPER_STORE", "cassandra");
        assertThat(TokenkeeperCli.run(bad, "config", "check")).isEqualTo(TokenkeeperCli.BAD_CONFIGURATION);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("clients.default.token-url: required")
                .contains("store.type: unknown store 'cassandra'");
    }

    @Test
    @DisplayName("config check prints a summary without secrets; keygen prints a usable key")
    void configCheckAndKeygen() {
        assertThat(TokenkeeperCli.run(env, "config", "check")).isZero();
        assertThat(stdout()).contains("client default:", "client-id=cli-client", "configuration OK");
        out.reset();
        assertThat(TokenkeeperCli.run(env, "config", "keygen", "--id", "k2")).isZero();
        assertThat(dev.tokenkeeper.application.SealingKeys.parse(stdout().strip()).currentId()).isEqualTo("k2");
    }

    @Test
    @DisplayName("config check shows the store each command really uses: the file for token, memory for serve, "
            + "or the configured one for every command")
    void configCheckShowsTheStoreOfEachCommand(@org.junit.jupiter.api.io.TempDir java.nio.file.Path home) {
        Map<String, String> noStore = new HashMap<>(env);
        noStore.remove("TOKENKEEPER_STORE");
        noStore.put("TOKENKEEPER_HOME", home.toString());
        assertThat(TokenkeeperCli.run(noStore, "config", "check")).isZero();
        assertThat(stdout())
                .contains("store (token, status, revoke, clear, schema): StoreConfig[type=file, url=" + home)
                .contains("store (serve): StoreConfig[type=memory")
                .doesNotContain("store: ");
        out.reset();
        assertThat(TokenkeeperCli.run(env, "config", "check")).isZero();
        assertThat(stdout()).contains("store (every command): StoreConfig[type=memory");
    }

    @Test
    @DisplayName("config check: an overflowing duration or a bad attempts count is exit 3 naming the key, no stack trace")
    void configCheckRejectsOverflowAndBadAttempts() {
        Map<String, String> bad = new HashMap<>(env);
        bad.put("TOKENKEEPER_REFRESH_AHEAD", "9223372036854775807h");
        bad.put("TOKENKEEPER_CLOCK_SKEW", "99999999999999d");
        bad.put("TOKENKEEPER__RESILIENCE__ATTEMPTS", "NaN");
        assertThat(TokenkeeperCli.run(bad, "config", "check")).isEqualTo(TokenkeeperCli.BAD_CONFIGURATION);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("refresh.ahead: is out of range", "refresh.clock-skew: is out of range",
                        "resilience.attempts: must be a whole number from 1 to 100, was 'NaN'")
                .doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    @DisplayName("an unknown --client is a usage error naming the configured clients, exit 2")
    void unknownClient() {
        assertThat(TokenkeeperCli.run(env, "token", "--client", "payroll")).isEqualTo(TokenkeeperCli.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("payroll").doesNotContain("Exception");
        assertThat(stdout()).isEmpty();
    }

    @Test
    @DisplayName("an unknown command is a usage error, exit 2")
    void usage() {
        assertThat(TokenkeeperCli.run(env, "frobnicate")).isEqualTo(TokenkeeperCli.USAGE);
    }
}
