package dev.tokenkeeper.runnable.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.bootstrap.Settings;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.fakeidp.FakeIdp;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, gap 4: per-request scopes on {@code /token/{client}?scope=} (two scopes, two cached
 * tokens), and the API-key fallback served only when no token can be had, with a
 * {@code tokenkeeper_fallback_used} count each time.
 */
class SidecarScopeAndFallbackIT {

    final FakeIdp idp = FakeIdp.start().issueTokens(Duration.ofHours(1));
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    final String bearer = "sidecar-bearer-" + UUID.randomUUID();
    final String apiKey = "km-api-key-" + UUID.randomUUID();

    @AfterEach
    void stop() {
        idp.close();
    }

    Sidecar launch() {
        Map<String, String> settings = new HashMap<>(Map.of(
                "clients.km.token-url", idp.tokenUri().toString(),
                "clients.km.client-id", "km",
                "clients.km.client-secret", "km-client-secret-value",
                "clients.km.fallback-api-key-env", "KM_API_KEY",
                "sidecar.port", "0",
                "sidecar.token-endpoint.enabled", "true",
                "sidecar.token-endpoint.secret-env", "SIDECAR_BEARER",
                "sidecar.keep-warm", "false",
                "resilience.attempts", "1"));
        Settings s = Settings.of(settings, Map.of("KM_API_KEY", apiKey, "SIDECAR_BEARER", bearer), "test");
        return Sidecar.launch(TokenkeeperConfig.from(s), InstantSource.system());
    }

    HttpResponse<String> get(Sidecar sidecar, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(sidecar.uri().resolve(path)).header("Authorization", "Bearer " + bearer)
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static double fallbackCount(String metrics) {
        Matcher m = Pattern.compile("(?m)^tokenkeeper_fallback_used_total\\{[^}]*client=\"km\"[^}]*} ([0-9.]+)$").matcher(metrics);
        double total = 0;
        while (m.find()) {
            total += Double.parseDouble(m.group(1));
        }
        return total;
    }

    @Test
    @DisplayName("?scope=a and ?scope=b: two tokens, each cached; the API key only for a scope without a token, counted each time")
    void scopesAndFallback() throws Exception {
        try (Sidecar sidecar = launch()) {
            JsonObject a = new JsonObject(get(sidecar, "/token/km?scope=orders.read").body());
            JsonObject b = new JsonObject(get(sidecar, "/token/km?scope=orders.write").body());
            JsonObject a2 = new JsonObject(get(sidecar, "/token/km?scope=orders.read").body());
            assertThat(a.getString("access_token")).isNotEqualTo(b.getString("access_token"));
            assertThat(a2.getString("access_token")).isEqualTo(a.getString("access_token"));
            assertThat(idp.requests()).extracting(r -> r.form().get("scope")).containsExactly("orders.read", "orders.write");
            assertThat(get(sidecar, "/token/km?scope=bad%22scope").statusCode()).isEqualTo(400);

            idp.down(true);
            JsonObject cached = new JsonObject(get(sidecar, "/token/km?scope=orders.write").body());
            assertThat(cached.getString("access_token")).as("a token that can be had is served, not the key")
                    .isEqualTo(b.getString("access_token"));
            assertThat(fallbackCount(get(sidecar, "/metrics").body())).isZero();

            HttpResponse<String> fallback = get(sidecar, "/token/km?scope=admin");
            assertThat(fallback.statusCode()).isEqualTo(200);
            JsonObject f = new JsonObject(fallback.body());
            assertThat(f.getString("api_key")).isEqualTo(apiKey);
            assertThat(f.getBoolean("fallback")).isTrue();
            assertThat(f.getString("header")).isEqualTo("X-API-Key");
            assertThat(f.getString("cause")).isEqualTo("SERVER_ERROR");
            get(sidecar, "/token/km?scope=admin");
            String metrics = get(sidecar, "/metrics").body();
            assertThat(fallbackCount(metrics)).as("one count per fallback").isEqualTo(2.0);
            assertThat(metrics).doesNotContain(apiKey);
            assertThat(get(sidecar, "/auth/status").body()).doesNotContain(apiKey);
        }
    }
}
