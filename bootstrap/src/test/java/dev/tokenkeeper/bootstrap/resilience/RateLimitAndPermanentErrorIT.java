package dev.tokenkeeper.bootstrap.resilience;

import dev.tokenkeeper.fakeidp.FakeIdp.Response;
import dev.tokenkeeper.testsupport.SecretScanner;
import static dev.tokenkeeper.bootstrap.resilience.Fixture.KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.tokenkeeper.application.Resilience;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.RetryStrategy;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.api.TokenEvent.CircuitState;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The IdP asks to slow down, or refuses the client for good. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RateLimitAndPermanentErrorIT {

    private final SecretScanner scanner = new SecretScanner();

    @AfterAll
    void scan() {
        scanner.close();
    }

    /** Four attempts 10 ms apart: only a server's Retry-After can make the pause longer. */
    private static Resilience eager() {
        return new Resilience(RetryStrategy.fixed(Duration.ofMillis(10), 4), Duration.ofSeconds(2),
                Duration.ofSeconds(15), 5, Duration.ofSeconds(30), 1);
    }

    @Test
    @DisplayName("429 with Retry-After: 2: the next attempt comes no sooner than two seconds later")
    void retryAfterIsHonoured() {
        try (Fixture f = new Fixture(scanner, eager())) {
            f.idp.respondWith(Response.json(429, "{\"error\":\"slow_down\"}").withHeader("Retry-After", "2"))
                    .issueTokens(Fixture.LIFETIME);

            AccessToken token = f.manager.token(KEY);

            assertThat(token).isNotNull();
            assertThat(f.idp.requestCount()).isEqualTo(2);
            assertThat(f.attempts.count()).isEqualTo(2);
            assertThat(f.attempts.gapMillis(0, 1)).as("pause after the 429, in ms")
                    .isGreaterThanOrEqualTo(2000)
                    .isLessThan(2000 + 5000);
            assertThat(f.events.of(TokenEvent.AttemptFailed.class))
                    .extracting(TokenEvent.AttemptFailed::kind)
                    .containsExactly(FailureKind.RATE_LIMITED);
        }
    }

    @Test
    @DisplayName("regression: 429 with a Retry-After beyond the deadline is RATE_LIMITED at once, not a TIMEOUT after the deadline")
    void longRetryAfterKeepsItsCause() {
        try (Fixture f = new Fixture(scanner, eager())) {
            f.idp.alwaysRespond(Response.json(429, "{\"error\":\"slow_down\"}").withHeader("Retry-After", "120"));

            long t0 = System.nanoTime();
            TokenException e = catchThrowableOfType(TokenException.class, () -> f.manager.token(KEY));

            assertThat(e.kind()).isEqualTo(FailureKind.RATE_LIMITED);
            assertThat(e.retryAfter()).contains(Duration.ofSeconds(120));
            assertThat(f.idp.requestCount()).as("no retry that could not happen before the deadline").isEqualTo(1);
            // the old code waited out the whole 15 s deadline, then reported TIMEOUT
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
            scanner.seen(e);
        }
    }

    @Test
    @DisplayName("400 invalid_client: exactly one request, no retry, a typed error, the breaker stays closed")
    void invalidClientIsNotRetried() {
        try (Fixture f = new Fixture(scanner, eager())) {
            f.idp.alwaysRespond(Response.json(400, "{\"error\":\"invalid_client\",\"error_description\":\"bad secret "
                    + f.clientSecret + "\"}"));

            long t0 = System.nanoTime();
            TokenException e = catchThrowableOfType(TokenException.class, () -> f.manager.token(KEY));

            assertThat(e.kind()).isEqualTo(FailureKind.INVALID_CLIENT);
            assertThat(e.isTransient()).isFalse();
            assertThat(f.idp.requestCount()).isEqualTo(1);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("fails fast").isLessThan(Duration.ofSeconds(2));
            assertThat(f.manager.circuitState(Fixture.CLIENT)).isEqualTo(CircuitState.CLOSED);
            assertThat(f.events.of(TokenEvent.AcquisitionFailed.class))
                    .singleElement()
                    .satisfies(ev -> assertThat(ev.attempts()).isEqualTo(1));
            scanner.seen(e); // the server echoed the secret in error_description: it must be redacted
        }
    }

    @Test
    @DisplayName("429 during a background refresh: callers keep the valid token, the retry still waits")
    void rateLimitedBackgroundRefresh() {
        try (Fixture f = new Fixture(scanner, eager())) {
            AccessToken first = f.firstToken();
            f.idp.respondWith(Response.json(429, "{\"error\":\"slow_down\"}").withHeader("Retry-After", "2"))
                    .issueTokens(Fixture.LIFETIME);
            f.clock.advance(Fixture.REFRESH_DUE_AFTER.plusSeconds(1));
            Fixture.Tally tally = new Fixture.Tally();

            // the first call finds the token refresh-due and starts the background refresh
            for (int i = 0; i < 100; i++) {
                assertThat(tally.call(f)).satisfies(t -> assertThat(t.sameValueAs(first)).isTrue());
            }
            f.events.await(TokenEvent.AcquisitionSucceeded.class, TokenEvent.AcquisitionSucceeded::background, 1);
            Fixture.awaitTokenOtherThan(f.manager, KEY, first);

            tally.assertNoFailureAndNothingExpired();
            assertThat(f.attempts.count()).as("the first grant, the 429, the retry").isEqualTo(3);
            assertThat(f.attempts.gapMillis(1, 2)).isGreaterThanOrEqualTo(2000);
            assertThat(f.manager.token(KEY).sameValueAs(first)).isFalse();
        }
    }
}
