package dev.tokenkeeper.runnable.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.runnable.cli.TokenkeeperCli;
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
import org.junit.jupiter.api.extension.RegisterExtension;

/** The command line against a real OAuth 2.0 server (mock-oauth2-server, in this JVM). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliIT {

    final String secret = "cli-secret-" + UUID.randomUUID();
    MockOAuth2Server server;

    @RegisterExtension
    final CapturedCli cli = new CapturedCli();

    @BeforeAll
    void startServer() {
        server = new MockOAuth2Server();
        server.start();
    }

    @AfterAll
    void stopServer() {
        server.shutdown();
    }

    @BeforeEach
    void environment() {
        cli.set("OAUTH_TOKEN_URL", server.tokenEndpointUrl("default").toString())
                .set("OAUTH_CLIENT_ID", "cli-client")
                .set("OAUTH_CLIENT_SECRET", secret)
                .set("OAUTH_SCOPE", "orders.read")
                // these tests are about one process; the CLI's default file store is tested in persistence/
                .set("TOKENKEEPER_STORE", "memory");
    }

    @AfterEach
    void noSecretPrinted() {
        // nothing a command printed anywhere may contain the client secret
        assertThat(cli.printed()).doesNotContain(secret);
    }

    @Test
    @DisplayName("token prints the access token and nothing else on standard output, exit 0")
    void token() {
        int code = cli.run("token");
        assertThat(code).isEqualTo(TokenkeeperCli.OK);
        String printed = cli.out().strip();
        assertThat(printed.split("\\.")).as("a JWT from the server").hasSize(3);
        assertThat(printed).doesNotContain(" ").doesNotContain("\n");
    }

    @Test
    @DisplayName("token --header prints an Authorization header value")
    void header() {
        assertThat(cli.run("token", "--header")).isZero();
        assertThat(cli.out()).startsWith("Bearer ey");
    }

    @Test
    @DisplayName("status reports has_token, expiry, seconds left and validity, never the token")
    void status() {
        assertThat(cli.run("status", "--json")).isZero();
        String line = cli.out().strip();
        assertThat(line).contains("\"client\":\"default\"", "\"has_token\":true", "\"is_valid\":true", "\"expires_in_seconds\":");
        assertThat(line).doesNotContain("ey"); // JWTs start with "ey"; none may be shown
    }

    @Test
    @DisplayName("an IdP that refuses the client: exit 1 with the failure kind, no secret")
    void refused() {
        Map<String, String> bad = new HashMap<>(cli.env());
        bad.put("OAUTH_TOKEN_URL", "http://127.0.0.1:" + dev.tokenkeeper.testsupport.RequiredServers.freePort() + "/token");
        bad.put("TOKENKEEPER__RESILIENCE__ATTEMPTS", "1");
        assertThat(cli.run(bad, "token")).isEqualTo(TokenkeeperCli.NO_TOKEN);
        assertThat(cli.err()).contains("no token [NETWORK]");
        assertThat(cli.out()).isEmpty();
    }

    @Test
    @DisplayName("bad configuration: exit 3 and every problem listed")
    void badConfig() {
        Map<String, String> bad = Map.of("OAUTH_CLIENT_ID", "x", "OAUTH_CLIENT_SECRET", secret,
                "TOKENKEEPER_STORE", "cassandra");
        assertThat(cli.run(bad, "config", "check")).isEqualTo(TokenkeeperCli.BAD_CONFIGURATION);
        assertThat(cli.err())
                .contains("clients.default.token-url: required")
                .contains("store.type: unknown store 'cassandra'");
    }

    @Test
    @DisplayName("config check prints a summary without secrets; keygen prints a usable key")
    void configCheckAndKeygen() {
        assertThat(cli.run("config", "check")).isZero();
        assertThat(cli.out()).contains("client default:", "client-id=cli-client", "configuration OK");
        assertThat(cli.run("config", "keygen", "--id", "k2")).isZero();
        assertThat(dev.tokenkeeper.application.SealingKeys.parse(cli.out().strip()).currentId()).isEqualTo("k2");
    }

    @Test
    @DisplayName("config check shows the store each command really uses: the file for token, memory for serve, "
            + "or the configured one for every command")
    void configCheckShowsTheStoreOfEachCommand(@org.junit.jupiter.api.io.TempDir java.nio.file.Path home) {
        Map<String, String> noStore = new HashMap<>(cli.env());
        noStore.remove("TOKENKEEPER_STORE");
        noStore.put("TOKENKEEPER_HOME", home.toString());
        assertThat(cli.run(noStore, "config", "check")).isZero();
        assertThat(cli.out())
                .contains("store (token, status, revoke, clear, schema): StoreConfig[type=file, url=" + home)
                .contains("store (serve): StoreConfig[type=memory")
                .doesNotContain("store: ");
        assertThat(cli.run("config", "check")).isZero();
        assertThat(cli.out()).contains("store (every command): StoreConfig[type=memory");
    }

    @Test
    @DisplayName("config check: an overflowing duration or a bad attempts count is exit 3 naming the key, no stack trace")
    void configCheckRejectsOverflowAndBadAttempts() {
        Map<String, String> bad = new HashMap<>(cli.env());
        bad.put("TOKENKEEPER_REFRESH_AHEAD", "9223372036854775807h");
        bad.put("TOKENKEEPER_CLOCK_SKEW", "99999999999999d");
        bad.put("TOKENKEEPER__RESILIENCE__ATTEMPTS", "NaN");
        assertThat(cli.run(bad, "config", "check")).isEqualTo(TokenkeeperCli.BAD_CONFIGURATION);
        assertThat(cli.err())
                .contains("refresh.ahead: is out of range", "refresh.clock-skew: is out of range",
                        "resilience.attempts: must be a whole number from 1 to 100, was 'NaN'")
                .doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    @DisplayName("an unknown --client is a usage error naming the configured clients, exit 2")
    void unknownClient() {
        assertThat(cli.run("token", "--client", "payroll")).isEqualTo(TokenkeeperCli.USAGE);
        assertThat(cli.err()).contains("payroll").doesNotContain("Exception");
        assertThat(cli.out()).isEmpty();
    }

    @Test
    @DisplayName("an unknown command is a usage error, exit 2")
    void usage() {
        assertThat(cli.run("frobnicate")).isEqualTo(TokenkeeperCli.USAGE);
    }
}
