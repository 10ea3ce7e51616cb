package dev.tokenkeeper.application;

import static dev.tokenkeeper.application.TokenManagerTest.KEY;
import static dev.tokenkeeper.application.TokenManagerTest.LIFETIME;
import static dev.tokenkeeper.application.TokenManagerTest.POLICY;
import static dev.tokenkeeper.application.TokenManagerTest.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.RetryStrategy;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.testsupport.TestClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ResilienceTest {

    final TestClock clock = TestClock.fixed();
    final ScriptedEndpoint endpoint = new ScriptedEndpoint().lifetime(LIFETIME);
    final List<TokenEvent> events = new CopyOnWriteArrayList<>();
    final List<TokenManager> managers = new ArrayList<>();

    TokenManager manager(Resilience resilience) {
        TokenManager m = TokenManager.builder()
                .clock(clock)
                .expiryPolicy(POLICY)
                .client("billing", endpoint)
                .listener(events::add)
                .proactiveRefresh(false)
                .resilience(resilience)
                .acquireTimeout(Duration.ofSeconds(20))
                .build();
        managers.add(m);
        return m;
    }

    @AfterEach
    void close() {
        managers.forEach(TokenManager::close);
    }

    static FailureKind kindOf(Runnable r) {
        try {
            r.run();
        } catch (TokenException e) {
            return e.kind();
        }
        throw new AssertionError("expected a TokenException");
    }

    @Test
    @DisplayName("transient failures are retried up to the strategy's attempts, then surface typed")
    void retriesTransient() {
        endpoint.failAll(FailureKind.SERVER_ERROR);
        TokenManager m = manager(Resilience.defaults().withRetry(RetryStrategy.fixed(Duration.ofMillis(1), 3)));
        assertThat(kindOf(() -> m.token(KEY))).isEqualTo(FailureKind.SERVER_ERROR);
        assertThat(endpoint.requestCount()).isEqualTo(3);
        assertThat(events).filteredOn(e -> e instanceof TokenEvent.AttemptFailed).hasSize(3);
        assertThat(events).filteredOn(e -> e instanceof TokenEvent.AcquisitionFailed)
                .singleElement()
                .satisfies(e -> assertThat(((TokenEvent.AcquisitionFailed) e).attempts()).isEqualTo(3));
    }

    @Test
    @DisplayName("a permanent failure (invalid_client) makes exactly one request")
    void permanentNotRetried() {
        endpoint.failAll(FailureKind.INVALID_CLIENT);
        TokenManager m = manager(Resilience.defaults().withRetry(RetryStrategy.fixed(Duration.ofMillis(1), 5)));
        assertThat(kindOf(() -> m.token(KEY))).isEqualTo(FailureKind.INVALID_CLIENT);
        assertThat(endpoint.requestCount()).isEqualTo(1);
    }

    @Test
    @DisplayName("after a 429 with Retry-After: 2, the next attempt comes no sooner than two seconds later")
    void honoursRetryAfter() {
        endpoint.failWith(r -> endpoint.requestCount() == 1
                ? new TokenException(FailureKind.RATE_LIMITED, "slow down", null, Duration.ofSeconds(2), 429, null)
                : null);
        TokenManager m = manager(Resilience.defaults().withRetry(RetryStrategy.fixed(Duration.ofMillis(10), 3)));
        assertThat(m.token(KEY)).isNotNull();
        List<Long> at = endpoint.requestNanos();
        assertThat(at).hasSize(2);
        assertThat(TimeUnit.NANOSECONDS.toMillis(at.get(1) - at.get(0))).isGreaterThanOrEqualTo(2_000);
    }

    @Test
    @DisplayName("the breaker opens after the configured failures, rejects without a request, then probes")
    void breaker() throws Exception {
        endpoint.failAll(FailureKind.SERVER_ERROR);
        TokenManager m = manager(Resilience.none(Duration.ofSeconds(5)).withBreaker(3, Duration.ofMillis(300), 1));
        for (int i = 0; i < 3; i++) {
            assertThat(kindOf(() -> m.token(KEY))).isEqualTo(FailureKind.SERVER_ERROR);
        }
        assertThat(m.circuitState("billing")).isEqualTo(TokenEvent.CircuitState.OPEN);
        TokenException open = null;
        try {
            m.token(KEY);
        } catch (TokenException e) {
            open = e;
        }
        assertThat(open).isNotNull();
        assertThat(open.kind()).isEqualTo(FailureKind.CIRCUIT_OPEN);
        assertThat(open.retryAfter()).isPresent();
        assertThat(open.getMessage()).contains("billing").contains("will try again in");
        assertThat(endpoint.requestCount()).as("no request while open").isEqualTo(3);
        endpoint.failWith(null);
        await(() -> {
            try {
                return m.token(KEY) != null;
            } catch (TokenException e) {
                assertThat(e.kind()).isEqualTo(FailureKind.CIRCUIT_OPEN);
                return false;
            }
        }, "the breaker lets a probe through");
        assertThat(m.circuitState("billing")).isEqualTo(TokenEvent.CircuitState.CLOSED);
        assertThat(events).filteredOn(e -> e instanceof TokenEvent.CircuitStateChanged)
                .extracting(e -> ((TokenEvent.CircuitStateChanged) e).to())
                .containsSubsequence(TokenEvent.CircuitState.OPEN, TokenEvent.CircuitState.HALF_OPEN,
                        TokenEvent.CircuitState.CLOSED);
    }

    @Test
    @DisplayName("a hung endpoint: each attempt times out, and the deadline ends the grant with a typed error")
    void hungEndpoint() {
        endpoint.hold(true);
        TokenManager m = manager(Resilience.defaults()
                .withRetry(RetryStrategy.fixed(Duration.ofMillis(1), 20))
                .withTimeouts(Duration.ofMillis(100), Duration.ofMillis(450)));
        long t0 = System.nanoTime();
        assertThat(kindOf(() -> m.token(KEY))).isEqualTo(FailureKind.TIMEOUT);
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0)).as("bounded by the deadline").isLessThan(5);
        assertThat(endpoint.requestCount()).isBetween(2, 6);
    }

    @Test
    @DisplayName("an IdP outage longer than the refresh window is invisible while a valid token exists")
    void outageInvisible() throws Exception {
        TokenManager m = manager(Resilience.defaults().withRetry(RetryStrategy.fixed(Duration.ofMillis(1), 2)));
        AccessToken token = m.token(KEY);
        endpoint.failAll(FailureKind.SERVER_ERROR);
        int failedCalls = 0;
        int expiredServed = 0;
        // walk through the whole refresh window (9:00 to 10:00) in 5-second steps
        clock.advance(Duration.ofMinutes(9));
        for (int step = 0; step < 11; step++) {
            clock.advance(Duration.ofSeconds(5));
            for (int i = 0; i < 20; i++) {
                try {
                    long before = clock.millis();
                    AccessToken t = m.token(KEY);
                    if (t.expiresAt().toEpochMilli() <= before) {
                        expiredServed++;
                    }
                } catch (TokenException e) {
                    failedCalls++;
                }
            }
            m.refreshDueTokens();
        }
        assertThat(failedCalls).isZero();
        assertThat(expiredServed).isZero();
        await(() -> m.status(KEY).lastFailure().isPresent(), "a background refresh was tried and failed");
        assertThat(m.status(KEY).lastFailure()).contains(FailureKind.SERVER_ERROR);
        assertThat(endpoint.requestCount()).isGreaterThan(1);
        // once expired, callers get a typed error, not the old token
        clock.set(token.expiresAt());
        assertThat(kindOf(() -> m.token(KEY))).isIn(FailureKind.SERVER_ERROR, FailureKind.CIRCUIT_OPEN);
    }
}
