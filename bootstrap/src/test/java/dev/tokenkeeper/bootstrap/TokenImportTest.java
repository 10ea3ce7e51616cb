package dev.tokenkeeper.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenStatus;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.testsupport.TestClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, gap 1: a token pair obtained elsewhere, from the environment
 * ({@code TOKENKEEPER_ACCESS_TOKEN}, {@code TOKENKEEPER_REFRESH_TOKEN}) or a client's
 * {@code access-token-env}/{@code refresh-token-env}, and from JSON ({@code tokenkeeper import}).
 */
class TokenImportTest {

    final FakeIdp idp = FakeIdp.start().alwaysRespond(FakeIdp.Response.tokensWithRefresh(Duration.ofHours(1)));
    final TestClock clock = TestClock.fixed();

    @AfterEach
    void stop() {
        idp.close();
    }

    Map<String, String> oauthEnv() {
        Map<String, String> env = new HashMap<>();
        env.put("OAUTH_TOKEN_URL", idp.tokenUri().toString());
        env.put("OAUTH_CLIENT_ID", "cli");
        env.put("OAUTH_CLIENT_SECRET", "cli-secret-value");
        env.put("TOKENKEEPER__REFRESH__PROACTIVE", "false");
        return env;
    }

    static String jwtExpiringAt(Instant exp) {
        Base64.Encoder b = Base64.getUrlEncoder().withoutPadding();
        return b.encodeToString("{\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b.encodeToString(("{\"exp\":" + exp.getEpochSecond() + "}").getBytes(StandardCharsets.UTF_8)) + ".sig";
    }

    /** A refresh token the IdP issued, as a login UI would have it. */
    String loginRefreshToken() throws Exception {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(idp.tokenUri())
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"))
                        .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        String refresh = new io.vertx.core.json.JsonObject(r.body()).getString("refresh_token");
        idp.resetCounts();
        return refresh;
    }

    @Test
    @DisplayName("TOKENKEEPER_ACCESS_TOKEN (a JWT: expiry from exp) is served without a request")
    void accessTokenFromEnvironment() {
        String jwt = jwtExpiringAt(clock.instant().plus(Duration.ofHours(1)));
        Map<String, String> env = oauthEnv();
        env.put("TOKENKEEPER_ACCESS_TOKEN", jwt);
        try (Tokenkeeper tk = Tokenkeeper.builder(TokenkeeperConfig.from(Settings.load(null, env))).clock(clock).start()) {
            AccessToken t = tk.provider().token(tk.defaultKey());
            assertThat(t.value().reveal()).isEqualTo(jwt);
            assertThat(t.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofHours(1)));
            assertThat(tk.provider().status(tk.defaultKey()).source()).isEqualTo(TokenStatus.Source.IMPORTED);
            assertThat(idp.requestCount()).isZero();
        }
    }

    @Test
    @DisplayName("an opaque access token with a refresh token and no expiry is refreshed at first use with that refresh token")
    void refreshTokenFromNamedVariables() throws Exception {
        // what a login UI got: a pair the IdP issued
        String refresh = loginRefreshToken();
        Map<String, String> env = Map.of("AXIOM_ACCESS_TOKEN", "opaque-access", "AXIOM_REFRESH_TOKEN", refresh,
                "AXIOM_SECRET", "axiom-secret-value");
        Settings s = Settings.of(Map.of(
                "clients.axiom.token-url", idp.tokenUri().toString(),
                "clients.axiom.client-id", "axiom",
                "clients.axiom.client-secret-env", "AXIOM_SECRET",
                "clients.axiom.access-token-env", "AXIOM_ACCESS_TOKEN",
                "clients.axiom.refresh-token-env", "AXIOM_REFRESH_TOKEN",
                "refresh.proactive", "false"), env, "test");
        try (Tokenkeeper tk = Tokenkeeper.builder(TokenkeeperConfig.from(s)).clock(clock).start()) {
            TokenKey key = tk.key("axiom");
            assertThat(tk.provider().status(key).isExpired()).isTrue();
            AccessToken t = tk.provider().token(key);
            assertThat(t.value().reveal()).isNotEqualTo("opaque-access");
            assertThat(idp.lastRequest().form()).containsEntry("grant_type", "refresh_token").containsEntry("refresh_token", refresh);
            assertThat(tk.provider().status(key).needsRefresh()).isFalse();
        }
    }

    @Test
    @DisplayName("auth-method=none: a public client needs no secret and sends only client_id; a secret beside it is an error")
    void publicClient() throws Exception {
        String refresh = loginRefreshToken();
        Settings s = Settings.of(Map.of(
                "clients.app.token-url", idp.tokenUri().toString(),
                "clients.app.client-id", "public-app",
                "clients.app.auth-method", "none",
                "clients.app.refresh-token", refresh,
                "clients.app.access-token", "opaque-access",
                "refresh.proactive", "false"), Map.of(), "test");
        try (Tokenkeeper tk = Tokenkeeper.builder(TokenkeeperConfig.from(s)).clock(clock).start()) {
            tk.provider().token(tk.key("app"));
            assertThat(idp.lastRequest().form()).containsEntry("client_id", "public-app").doesNotContainKey("client_secret");
            assertThat(idp.lastRequest().header("Authorization")).isNull();
        }
        Settings both = Settings.of(Map.of("clients.app.token-url", idp.tokenUri().toString(),
                "clients.app.client-id", "public-app", "clients.app.auth-method", "none",
                "clients.app.client-secret", "s3cret-value"), Map.of(), "test");
        assertThatThrownBy(() -> TokenkeeperConfig.from(both)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("clients.app.auth-method").hasMessageNotContaining("s3cret-value");
    }

    @Test
    @DisplayName("an opaque access token alone, without expiry, is a configuration error naming the setting, not the value")
    void opaqueWithoutExpiry() {
        Map<String, String> env = oauthEnv();
        env.put("TOKENKEEPER_ACCESS_TOKEN", "opaque-value-never-shown");
        assertThatThrownBy(() -> TokenkeeperConfig.from(Settings.load(null, env)))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("clients.default.access-token")
                .hasMessageNotContaining("opaque-value-never-shown");
    }

    @Test
    @DisplayName("import JSON: expires_in, expires_at (ISO or epoch seconds), scope and token_type; errors never show the input")
    void json() {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        AccessToken a = TokenImport.fromJson("{\"access_token\":\"a1\",\"refresh_token\":\"r1\",\"expires_in\":3600,"
                + "\"scope\":\"read write\"}", now);
        assertThat(a.expiresAt()).isEqualTo(now.plusSeconds(3600));
        assertThat(a.scopes()).containsExactlyInAnyOrder("read", "write");
        assertThat(a.tokenType()).isEqualTo("Bearer");
        assertThat(a.refreshTokenExpiresAt()).contains(now.plus(Duration.ofHours(24)));
        assertThat(TokenImport.fromJson("{\"access_token\":\"a1\",\"expires_at\":\"2026-01-01T01:00:00Z\"}", now).expiresAt())
                .isEqualTo(now.plusSeconds(3600));
        assertThat(TokenImport.fromJson("{\"access_token\":\"a1\",\"expires_at\":" + (now.getEpochSecond() + 60) + "}", now)
                .expiresAt()).isEqualTo(now.plusSeconds(60));
        assertThatThrownBy(() -> TokenImport.fromJson("{\"access_token\":\"secret-a\"", now))
                .isInstanceOf(ConfigurationException.class).hasMessageNotContaining("secret-a");
        assertThatThrownBy(() -> TokenImport.fromJson("{\"refresh_token\":\"secret-r\"}", now))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("access_token").hasMessageNotContaining("secret-r");
    }
}
