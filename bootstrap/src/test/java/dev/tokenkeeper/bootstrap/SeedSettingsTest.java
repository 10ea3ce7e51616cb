package dev.tokenkeeper.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.fakeidp.FakeIdp.Response;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, gaps 3 and 4: the JWT validator, every timeout, and the background check and retry
 * intervals, from configuration.
 */
class SeedSettingsTest {

    final FakeIdp idp = FakeIdp.start();

    @AfterEach
    void stop() {
        idp.close();
    }

    Map<String, String> client() {
        return new HashMap<>(Map.of("clients.cidx.token-url", idp.tokenUri().toString(), "clients.cidx.client-id", "cidx",
                "clients.cidx.client-secret", "cidx-secret-value", "resilience.attempts", "1"));
    }

    static String jwt(String alg, long lifetimeSeconds) {
        Base64.Encoder b = Base64.getUrlEncoder().withoutPadding();
        long now = System.currentTimeMillis() / 1000;
        return b.encodeToString(("{\"alg\":\"" + alg + "\"}").getBytes(StandardCharsets.UTF_8)) + "."
                + b.encodeToString(("{\"iat\":" + now + ",\"exp\":" + (now + lifetimeSeconds) + "}").getBytes(StandardCharsets.UTF_8))
                + ".c2ln";
    }

    @Test
    @DisplayName("jwt-algorithms=RS256: an RS256 JWT is accepted; HS256, an opaque token or a 2-day lifetime are refused")
    void jwtValidator() {
        Map<String, String> m = client();
        m.put("clients.cidx.jwt-algorithms", "RS256");
        m.put("clients.cidx.jwt-max-lifetime", "24h");
        TokenkeeperConfig config = TokenkeeperConfig.from(Settings.of(m));
        idp.respondWith(Response.json(200, "{\"access_token\":\"" + jwt("RS256", 3600) + "\",\"expires_in\":3600}"));
        try (Tokenkeeper tk = Tokenkeeper.start(config)) {
            assertThat(tk.provider().token(tk.key("cidx")).value().reveal()).startsWith("ey");
        }
        for (String body : new String[] {
                "{\"access_token\":\"" + jwt("HS256", 3600) + "\",\"expires_in\":3600}",
                "{\"access_token\":\"opaque-token\",\"expires_in\":3600}",
                "{\"access_token\":\"" + jwt("RS256", 172800) + "\",\"expires_in\":172800}"}) {
            idp.respondWith(Response.json(200, body));
            try (Tokenkeeper tk = Tokenkeeper.start(config)) {
                assertThatThrownBy(() -> tk.provider().token(tk.key("cidx"))).isInstanceOf(TokenException.class)
                        .satisfies(e -> assertThat(((TokenException) e).kind()).isEqualTo(FailureKind.MALFORMED_RESPONSE));
            }
        }
        Map<String, String> bad = client();
        bad.put("clients.cidx.jwt-algorithms", "none");
        assertThatThrownBy(() -> TokenkeeperConfig.from(Settings.of(bad))).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("clients.cidx.jwt-algorithms");
    }

    @Test
    @DisplayName("the CLI seed's timeouts (connect 10 s, read 30 s, write 10 s, pool 5 s) and the intervals are read; a request timeout ends a hung answer")
    void timeoutsAndIntervals() {
        Map<String, String> m = client();
        m.putAll(Map.of("http.connect-timeout", "10s", "http.read-timeout", "30s", "http.write-timeout", "10s",
                "http.pool-timeout", "5s", "http.request-timeout", "30s", "refresh.check-interval", "1m",
                "refresh.retry-interval", "30s"));
        TokenkeeperConfig c = TokenkeeperConfig.from(Settings.of(m));
        assertThat(c.httpTimeouts()).isEqualTo(new TokenkeeperConfig.HttpTimeouts(Duration.ofSeconds(10),
                Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(5)));
        assertThat(c.refreshTiming()).isEqualTo(new TokenkeeperConfig.RefreshTiming(Duration.ofMinutes(1), Duration.ofSeconds(30)));

        Map<String, String> shortRequest = client();
        shortRequest.putAll(Map.of("http.request-timeout", "300ms", "resilience.attempt-timeout", "5s"));
        idp.alwaysRespond(Response.hang());
        try (Tokenkeeper tk = Tokenkeeper.start(TokenkeeperConfig.from(Settings.of(shortRequest)))) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> tk.provider().token(tk.key("cidx"))).isInstanceOf(TokenException.class)
                    .satisfies(e -> assertThat(((TokenException) e).kind()).isEqualTo(FailureKind.TIMEOUT));
            // real time: the timeout is the HTTP client's, which takes no injected clock
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(4));
        }
        Map<String, String> bad = client();
        bad.put("refresh.retry-interval", "2m");
        assertThatThrownBy(() -> TokenkeeperConfig.from(Settings.of(bad))).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("refresh.retry-interval");
    }
}
