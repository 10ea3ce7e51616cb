package dev.tokenkeeper.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.fakeidp.FakeIdp.Response;
import dev.tokenkeeper.testsupport.TestClock;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, gap 3: a client that logs in through a JSON login API ({@code POST
 * {"username","password"}} → token JSON) and logs in again when its refresh token is refused with
 * {@code invalid_grant}; all from configuration. The clock is a test clock: expiry is crossed
 * without waiting.
 */
class JsonLoginTest {

    final FakeIdp idp = FakeIdp.start();
    final TestClock clock = TestClock.fixed();
    final String password = "cidx-password-" + java.util.UUID.randomUUID();

    @AfterEach
    void stop() {
        idp.close();
    }

    Settings settings(boolean tokenUrl) {
        Map<String, String> m = new HashMap<>(Map.of(
                "clients.cidx.login-url", idp.uri("/api/auth/login").toString(),
                "clients.cidx.login-username", "alice",
                "clients.cidx.login-password-env", "CIDX_PASSWORD",
                "refresh.proactive", "false",
                "refresh.jitter", "0"));
        if (tokenUrl) {
            m.put("clients.cidx.token-url", idp.uri("/oauth/token").toString());
        }
        return Settings.of(m, Map.of("CIDX_PASSWORD", password), "test");
    }

    @Test
    @DisplayName("logs in with JSON; the refresh token goes to the token URL; invalid_grant there logs in again")
    void reauthenticatesAfterInvalidGrant() {
        idp.respondWith(
                Response.json(200, "{\"access_token\":\"first-token\",\"expires_in\":3600,\"refresh_token\":\"rt-1\"}"),
                Response.error(400, "invalid_grant", "refresh token revoked"),
                Response.json(200, "{\"access_token\":\"second-token\",\"expires_in\":3600}"));
        try (Tokenkeeper tk = Tokenkeeper.builder(TokenkeeperConfig.from(settings(true))).clock(clock).start()) {
            TokenKey key = tk.key("cidx");
            AccessToken first = tk.provider().token(key);
            assertThat(first.value().reveal()).isEqualTo("first-token");
            assertThat(first.tokenType()).as("no token_type in the login answer: Bearer").isEqualTo("Bearer");

            clock.advance(Duration.ofHours(2)); // expired: the next call refreshes, is refused, logs in again
            AccessToken second = tk.provider().token(key);

            assertThat(second.value().reveal()).isEqualTo("second-token");
            List<FakeIdp.RecordedRequest> r = idp.requests();
            assertThat(r).extracting(FakeIdp.RecordedRequest::path)
                    .containsExactly("/api/auth/login", "/oauth/token", "/api/auth/login");
            JsonObject login = new JsonObject(r.get(0).body());
            assertThat(login.getString("username")).isEqualTo("alice");
            assertThat(login.getString("password")).isEqualTo(password);
            assertThat(r.get(0).header("Content-Type")).startsWith("application/json");
            assertThat(r.get(0).header("Authorization")).as("a login authenticates the user, not a client").isNull();
            assertThat(r.get(1).form()).containsEntry("grant_type", "refresh_token").containsEntry("refresh_token", "rt-1");
            assertThat(new JsonObject(r.get(2).body()).getString("username")).isEqualTo("alice");
        }
    }

    @Test
    @DisplayName("the OAuth password grant from configuration: invalid_grant on refresh logs in again with the stored credentials")
    void passwordGrantReauthenticatesAfterInvalidGrant() {
        idp.respondWith(
                Response.json(200, "{\"access_token\":\"first-token\",\"token_type\":\"Bearer\",\"expires_in\":3600,"
                        + "\"refresh_token\":\"rt-1\"}"),
                Response.error(400, "invalid_grant", "refresh token revoked"),
                Response.json(200, "{\"access_token\":\"second-token\",\"token_type\":\"Bearer\",\"expires_in\":3600}"));
        Settings s = Settings.of(Map.of(
                "clients.pw.token-url", idp.uri("/oauth/token").toString(),
                "clients.pw.client-id", "pw-client",
                "clients.pw.client-secret-env", "PW_CLIENT_SECRET",
                "clients.pw.grant", "password",
                "clients.pw.username", "alice",
                "clients.pw.password-env", "CIDX_PASSWORD",
                "refresh.proactive", "false",
                "refresh.jitter", "0"), Map.of("CIDX_PASSWORD", password, "PW_CLIENT_SECRET", "pw-client-secret"), "test");
        try (Tokenkeeper tk = Tokenkeeper.builder(TokenkeeperConfig.from(s)).clock(clock).start()) {
            TokenKey key = tk.key("pw");
            assertThat(tk.provider().token(key).value().reveal()).isEqualTo("first-token");
            clock.advance(Duration.ofHours(2)); // expired: the next call refreshes, is refused, logs in again
            assertThat(tk.provider().token(key).value().reveal()).isEqualTo("second-token");
            List<FakeIdp.RecordedRequest> r = idp.requests();
            assertThat(r).hasSize(3);
            assertThat(r.get(0).form()).containsEntry("grant_type", "password").containsEntry("username", "alice")
                    .containsEntry("password", password);
            assertThat(r.get(1).form()).containsEntry("grant_type", "refresh_token").containsEntry("refresh_token", "rt-1");
            assertThat(r.get(2).form()).containsEntry("grant_type", "password").containsEntry("username", "alice")
                    .containsEntry("password", password);
            assertThat(tk.toString() + tk.config()).doesNotContain(password);
        }
    }

    @Test
    @DisplayName("without a token URL, refresh tokens are not kept: the client logs in again when its token is due")
    void loginOnly() {
        idp.respondWith(
                Response.json(200, "{\"access_token\":\"t1\",\"expires_in\":600,\"refresh_token\":\"unused\"}"),
                Response.json(200, "{\"access_token\":\"t2\",\"expires_in\":600}"));
        try (Tokenkeeper tk = Tokenkeeper.builder(TokenkeeperConfig.from(settings(false))).clock(clock).start()) {
            TokenKey key = tk.key("cidx");
            assertThat(tk.provider().token(key).refreshToken()).isEmpty();
            clock.advance(Duration.ofMinutes(20));
            assertThat(tk.provider().token(key).value().reveal()).isEqualTo("t2");
            assertThat(idp.requests()).extracting(FakeIdp.RecordedRequest::path)
                    .containsExactly("/api/auth/login", "/api/auth/login");
        }
    }

    @Test
    @DisplayName("a refused login (401) fails with a message that names neither the password nor the user's secret")
    void refusedLogin() {
        idp.alwaysRespond(Response.json(401, "{\"detail\":\"bad password " + password + "\"}"));
        try (Tokenkeeper tk = Tokenkeeper.builder(TokenkeeperConfig.from(settings(false))).clock(clock).start()) {
            assertThatThrownBy(() -> tk.provider().token(tk.key("cidx")))
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(password));
        }
    }

    @Test
    @DisplayName("login settings without login-url, or login-url without a user or password, name what is missing")
    void configurationProblems() {
        assertThatThrownBy(() -> TokenkeeperConfig.from(Settings.of(Map.of("clients.x.token-url", "https://idp.example/t",
                "clients.x.client-id", "x", "clients.x.client-secret", "s", "clients.x.login-username", "bob"))))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("clients.x.login-username")
                .hasMessageContaining("only used with login-url");
        assertThatThrownBy(() -> TokenkeeperConfig.from(Settings.of(Map.of(
                "clients.x.login-url", "https://api.example/login"))))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("clients.x.login-username")
                .hasMessageContaining("clients.x.login-password");
    }

}
