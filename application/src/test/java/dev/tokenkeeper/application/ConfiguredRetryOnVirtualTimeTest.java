package dev.tokenkeeper.application;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.RetryStrategy;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, gap 2: every retry strategy that configuration can choose ({@code resilience.retry} =
 * simple, fixed, linear, exponential with a factor and jitter; {@code resilience.retry-after-max}),
 * with the spacing of the attempts measured on virtual time. The strategies are built with the
 * same factory calls the configuration reader makes (bootstrap's {@code RetryConfigTest} checks
 * that the settings give exactly these values).
 */
class ConfiguredRetryOnVirtualTimeTest {

    static final TokenKey KEY = TokenManagerTest.KEY;
    static final TokenException UNAVAILABLE = new TokenException(FailureKind.SERVER_ERROR, "503", null, null, 503, null);

    final VirtualTime time = new VirtualTime();
    final Instant start = time.clock.instant();
    final ScriptedEndpoint endpoint = new ScriptedEndpoint().lifetime(TokenManagerTest.LIFETIME);
    final List<Long> sentAt = new CopyOnWriteArrayList<>();
    final List<TokenManager> managers = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        managers.forEach(TokenManager::close);
    }

    /** The first {@code failures} requests fail with {@code error}; every request is stamped. */
    void failFirst(int failures, TokenException error) {
        AtomicInteger n = new AtomicInteger();
        endpoint.failWith(r -> {
            sentAt.add(Duration.between(start, time.clock.instant()).toMillis());
            return n.incrementAndGet() <= failures ? error : null;
        });
    }

    /** Runs one acquisition to its end on virtual time, in 10 ms steps, and returns when each attempt was sent. */
    List<Long> spacing(RetryStrategy strategy, int failures, TokenException error) {
        failFirst(failures, error);
        TokenManager m = time.withFailsafe(TokenManager.builder())
                .expiryPolicy(TokenManagerTest.POLICY)
                .client("billing", endpoint)
                .proactiveRefresh(false)
                .resilience(Resilience.defaults().withRetry(strategy).withTimeouts(Duration.ofMinutes(5), Duration.ofMinutes(10)))
                .build();
        managers.add(m);
        CompletableFuture<AccessToken> f = m.tokenAsync(KEY).toCompletableFuture();
        for (int i = 0; i < 20_000 && !f.isDone(); i++) {
            time.advance(Duration.ofMillis(10));
        }
        assertThat(f).as("the acquisition ends").isCompleted();
        return sentAt;
    }

    @Test
    @DisplayName("simple: retries at once")
    void simple() {
        assertThat(spacing(RetryStrategy.fixed(Duration.ZERO, 3).withMaxRetryAfter(Duration.ofSeconds(30)), 2, UNAVAILABLE))
                .containsExactly(0L, 0L, 0L);
    }

    @Test
    @DisplayName("fixed 1 s: attempts at 0, 1 s, 2 s")
    void fixed() {
        assertThat(spacing(RetryStrategy.fixed(Duration.ofSeconds(1), 3), 2, UNAVAILABLE)).containsExactly(0L, 1000L, 2000L);
    }

    @Test
    @DisplayName("linear 1 s, at most 2.5 s: pauses 1 s, 2 s, 2.5 s")
    void linear() {
        assertThat(spacing(RetryStrategy.linear(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofMillis(2500), 4),
                3, UNAVAILABLE)).containsExactly(0L, 1000L, 3000L, 5500L);
    }

    @Test
    @DisplayName("exponential, base 100 ms, factor 3, at most 1 s, no jitter: pauses 100, 300, 900, 1000 ms")
    void exponentialFactorThree() {
        assertThat(spacing(RetryStrategy.exponential(Duration.ofMillis(100), Duration.ofSeconds(1), 3,
                RetryStrategy.Jitter.NONE, 5), 4, UNAVAILABLE)).containsExactly(0L, 100L, 400L, 1300L, 2300L);
    }

    @Test
    @DisplayName("exponential with equal jitter (the service spec's 50-100 %): each pause within [half, whole] of base 1 s x 2^n")
    void exponentialEqualJitter() {
        List<Long> sent = spacing(RetryStrategy.exponential(Duration.ofSeconds(1), Duration.ofSeconds(60), 2,
                RetryStrategy.Jitter.EQUAL, 4), 3, UNAVAILABLE);
        assertThat(sent).hasSize(4);
        for (int i = 1; i < sent.size(); i++) {
            long pause = sent.get(i) - sent.get(i - 1);
            long whole = 1000L << (i - 1);
            assertThat(pause).as("pause " + i).isBetween(whole / 2 - 10, whole + 10); // 10 ms: the test's time step
        }
    }

    @Test
    @DisplayName("Retry-After 45 s is honoured with retry-after-max 60 s (the CLI seed's cap)")
    void retryAfterCap() {
        TokenException limited = new TokenException(FailureKind.RATE_LIMITED, "429", null, Duration.ofSeconds(45), 429, null);
        assertThat(spacing(RetryStrategy.fixed(Duration.ofMillis(100), 2).withMaxRetryAfter(Duration.ofSeconds(60)), 1, limited))
                .containsExactly(0L, 45_000L);
    }

    @Test
    @DisplayName("the default cap of 30 s: a Retry-After of 45 s waits 30 s")
    void retryAfterDefaultCap() {
        TokenException limited = new TokenException(FailureKind.RATE_LIMITED, "429", null, Duration.ofSeconds(45), 429, null);
        assertThat(spacing(RetryStrategy.fixed(Duration.ofMillis(100), 2), 1, limited)).containsExactly(0L, 30_000L);
    }
}
