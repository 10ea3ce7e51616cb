package dev.tokenkeeper.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.application.Resilience;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.RetryStrategy;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, gap 2: the retry strategy, its attempts, pauses, factor, jitter and the Retry-After cap
 * chosen from configuration give exactly the strategies whose attempt spacing
 * {@code ConfiguredRetryOnVirtualTimeTest} (application) measures on virtual time.
 */
class RetryConfigTest {

    static RetryStrategy retry(String... pairs) {
        Map<String, String> m = new HashMap<>(Map.of(
                "clients.a.token-url", "https://idp.example/token", "clients.a.client-id", "a",
                "clients.a.client-secret", "s"));
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return TokenkeeperConfig.from(Settings.of(m)).resilience().retry();
    }

    static final Duration THIRTY = RetryStrategy.DEFAULT_MAX_RETRY_AFTER;

    @Test
    @DisplayName("nothing set: the library default; resilience.attempts alone keeps its meaning")
    void defaults() {
        assertThat(retry()).isEqualTo(Resilience.DEFAULT_RETRY);
        assertThat(retry("resilience.attempts", "1")).isEqualTo(RetryStrategy.none());
    }

    @Test
    @DisplayName("each strategy from its settings")
    void strategies() {
        assertThat(retry("resilience.retry", "none")).isEqualTo(RetryStrategy.none().withMaxRetryAfter(THIRTY));
        assertThat(retry("resilience.retry", "simple", "resilience.attempts", "3"))
                .isEqualTo(RetryStrategy.fixed(Duration.ZERO, 3).withMaxRetryAfter(THIRTY));
        assertThat(retry("resilience.retry", "fixed", "resilience.attempts", "3", "resilience.retry-base-delay", "1s"))
                .isEqualTo(RetryStrategy.fixed(Duration.ofSeconds(1), 3).withMaxRetryAfter(THIRTY));
        assertThat(retry("resilience.retry", "linear", "resilience.attempts", "4", "resilience.retry-base-delay", "1s",
                "resilience.retry-max-delay", "2500ms"))
                .isEqualTo(RetryStrategy.linear(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofMillis(2500), 4)
                        .withMaxRetryAfter(THIRTY));
        assertThat(retry("resilience.retry", "exponential", "resilience.attempts", "5", "resilience.retry-base-delay", "100ms",
                "resilience.retry-max-delay", "1s", "resilience.retry-factor", "3", "resilience.retry-jitter", "none"))
                .isEqualTo(RetryStrategy.exponential(Duration.ofMillis(100), Duration.ofSeconds(1), 3,
                        RetryStrategy.Jitter.NONE, 5).withMaxRetryAfter(THIRTY));
        // the CLI seed: 3 attempts, factor 2, at most 60 s, Retry-After honoured up to 60 s
        assertThat(retry("resilience.retry", "exponential", "resilience.attempts", "3", "resilience.retry-base-delay", "1s",
                "resilience.retry-max-delay", "60s", "resilience.retry-jitter", "equal", "resilience.retry-after-max", "60s"))
                .isEqualTo(RetryStrategy.exponential(Duration.ofSeconds(1), Duration.ofSeconds(60), 2,
                        RetryStrategy.Jitter.EQUAL, 3).withMaxRetryAfter(Duration.ofSeconds(60)));
        assertThat(retry("resilience.retry-after-max", "60s").maxRetryAfter()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    @DisplayName("a wrong value names the setting and what is allowed")
    void problems() {
        assertThatThrownBy(() -> retry("resilience.retry", "sometimes")).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("resilience.retry").hasMessageContaining("none, simple, fixed, linear or exponential");
        assertThatThrownBy(() -> retry("resilience.retry-factor", "0.5")).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("factor must be between 1 and 100");
        assertThatThrownBy(() -> retry("resilience.retry", "linear", "resilience.retry-jitter", "full"))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("resilience.retry-jitter");
        assertThatThrownBy(() -> retry("resilience.retry-jitter", "lots")).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("full, equal or none");
        assertThatThrownBy(() -> retry("resilience.retry-after-max", "1h")).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("resilience.retry-after-max");
    }
}
