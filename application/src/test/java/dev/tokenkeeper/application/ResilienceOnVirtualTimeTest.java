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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Retry pauses on virtual time: Failsafe runs attempts and retry pauses on the manager's scheduler
 * (here the manual one), and the manager measures the grant's deadline on its ticker, so a
 * Retry-After of two seconds is checked to the millisecond without waiting.
 *
 * <p>Two Failsafe timings cannot be injected and stay in real-time tests (ResilienceTest, the
 * bootstrap outage ITs): its {@code Timeout} policies (attempt timeout, deadline) fire from
 * Failsafe's own scheduler thread, and its circuit breaker measures its open delay with
 * {@code System.nanoTime()}.
 */
class ResilienceOnVirtualTimeTest {

    static final TokenKey KEY = TokenManagerTest.KEY;

    final VirtualTime time = new VirtualTime();
    final Instant start = time.clock.instant();
    final ScriptedEndpoint endpoint = new ScriptedEndpoint().lifetime(TokenManagerTest.LIFETIME);
    /** Milliseconds after the start at which each request was sent. */
    final List<Long> sentAt = new CopyOnWriteArrayList<>();
    final List<TokenManager> managers = new CopyOnWriteArrayList<>();

    TokenManager manager(Resilience resilience) {
        TokenManager m = time.withFailsafe(TokenManager.builder())
                .expiryPolicy(TokenManagerTest.POLICY)
                .client("billing", endpoint)
                .proactiveRefresh(false)
                .resilience(resilience)
                .build();
        managers.add(m);
        return m;
    }

    /** Stamps every request; the first {@code failures} fail with {@code error}. */
    void failFirst(int failures, TokenException error) {
        AtomicInteger n = new AtomicInteger();
        endpoint.failWith(r -> {
            sentAt.add(Duration.between(start, time.clock.instant()).toMillis());
            return n.incrementAndGet() <= failures ? error : null;
        });
    }

    @AfterEach
    void close() {
        managers.forEach(TokenManager::close);
    }

    @Test
    @DisplayName("a Retry-After of 2 s is honoured to the millisecond: the retry is sent 2 s later, not before")
    void retryAfterHonoured() {
        failFirst(1, new TokenException(FailureKind.RATE_LIMITED, "429", null, Duration.ofSeconds(2), 429, null));
        TokenManager m = manager(Resilience.defaults().withRetry(RetryStrategy.fixed(Duration.ofMillis(100), 3)));
        CompletableFuture<AccessToken> f = m.tokenAsync(KEY).toCompletableFuture();
        time.advance(Duration.ofMillis(1999));
        assertThat(f).isNotDone();
        assertThat(sentAt).containsExactly(0L);
        time.advance(Duration.ofMillis(1));
        assertThat(f).isCompleted();
        assertThat(sentAt).containsExactly(0L, 2000L);
    }

    @Test
    @DisplayName("a Retry-After that ends past the deadline is not waited for: the failure surfaces at once, as RATE_LIMITED")
    void retryAfterPastDeadline() {
        failFirst(1, new TokenException(FailureKind.RATE_LIMITED, "429", null, Duration.ofSeconds(20), 429, null));
        TokenManager m = manager(Resilience.defaults().withRetry(RetryStrategy.fixed(Duration.ofMillis(100), 3)));
        CompletableFuture<AccessToken> f = m.tokenAsync(KEY).toCompletableFuture();
        time.advance(Duration.ZERO);
        assertThat(f).isCompletedExceptionally();
        assertThat(kind(f)).isEqualTo(FailureKind.RATE_LIMITED);
        assertThat(sentAt).containsExactly(0L);
    }

    static FailureKind kind(CompletableFuture<?> f) {
        try {
            f.get();
            throw new AssertionError("expected a failure");
        } catch (ExecutionException e) {
            return ((TokenException) TokenException.unwrap(e)).kind();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
