package dev.tokenkeeper.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.application.TokenManager;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.fakeidp.FakeIdp;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** {@code cache.maximum-keys} and {@code cache.idle-timeout}: read, checked, and given to the manager. */
class CacheSettingsTest {

    static Map<String, String> client(String tokenUrl) {
        Map<String, String> env = new HashMap<>();
        env.put("OAUTH_TOKEN_URL", tokenUrl);
        env.put("OAUTH_CLIENT_ID", "cache-client");
        env.put("OAUTH_CLIENT_SECRET", "cache-secret");
        return env;
    }

    @Test
    @DisplayName("unset: the manager's defaults (no bound but a 30-minute idle timeout)")
    void defaults() {
        TokenkeeperConfig c = TokenkeeperConfig.from(Settings.load(null, client("https://idp.example.com/token")));
        assertThat(c.cache().maximumKeys()).isEqualTo(TokenManager.DEFAULT_MAXIMUM_KEYS);
        assertThat(c.cache().idleTimeout()).isEqualTo(TokenManager.DEFAULT_IDLE_TIMEOUT).isEqualTo(Duration.ofMinutes(30));
        // the configuration spells the manager's defaults out (reading it loads no manager class): they must agree
        assertThat(TokenkeeperConfig.RefreshTiming.DEFAULTS.checkInterval()).isEqualTo(TokenManager.DEFAULT_SWEEP_INTERVAL);
        assertThat(TokenkeeperConfig.RefreshTiming.DEFAULTS.retryInterval()).isEqualTo(TokenManager.DEFAULT_FAILURE_BACKOFF);
        assertThat(ConfigReader.MAX_RETRY_INTERVAL).isEqualTo(TokenManager.MAX_FAILURE_BACKOFF);
    }

    @Test
    @DisplayName("from the environment, by the short names and the generic ones")
    void fromEnvironment() {
        Map<String, String> env = client("https://idp.example.com/token");
        env.put("TOKENKEEPER_CACHE_MAXIMUM_KEYS", "100000");
        env.put("TOKENKEEPER__CACHE__IDLE_TIMEOUT", "5m");
        TokenkeeperConfig c = TokenkeeperConfig.from(Settings.load(null, env));
        assertThat(c.cache().maximumKeys()).isEqualTo(100_000);
        assertThat(c.cache().idleTimeout()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    @DisplayName("bad values are named with where they came from")
    void badValues() {
        Map<String, String> env = client("https://idp.example.com/token");
        env.put("TOKENKEEPER_CACHE_MAXIMUM_KEYS", "0");
        env.put("TOKENKEEPER_CACHE_IDLE_TIMEOUT", "10ms");
        assertThatThrownBy(() -> TokenkeeperConfig.from(Settings.load(null, env)))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.problems()).hasSize(2))
                .hasMessageContaining("cache.maximum-keys: must be a whole number from 1 up, was '0'")
                .hasMessageContaining("cache.idle-timeout: must be a duration from 1s")
                .hasMessageContaining("TOKENKEEPER_CACHE_IDLE_TIMEOUT");
    }

    @Test
    @DisplayName("the assembled manager keeps at most cache.maximum-keys keys resident")
    void boundsTheAssembledManager() {
        try (FakeIdp idp = FakeIdp.start().issueTokens(Duration.ofHours(1))) {
            Map<String, String> env = client(idp.tokenUri().toString());
            env.put("TOKENKEEPER_CACHE_MAXIMUM_KEYS", "10");
            try (Tokenkeeper tk = Tokenkeeper.start(TokenkeeperConfig.from(Settings.load(null, env)))) {
                for (int i = 0; i < 50; i++) {
                    tk.provider().token(TokenKey.builder("default").scopes("tenant-" + i).build());
                }
                assertThat(tk.manager().statuses()).hasSizeLessThanOrEqualTo(10);
                assertThat(idp.requestCount()).isEqualTo(50);
            }
        }
    }
}
