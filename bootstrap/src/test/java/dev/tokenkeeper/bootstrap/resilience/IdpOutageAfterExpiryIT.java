package dev.tokenkeeper.bootstrap.resilience;

import dev.tokenkeeper.fakeidp.FakeIdp.Response;
import dev.tokenkeeper.testsupport.SecretScanner;
import static dev.tokenkeeper.bootstrap.resilience.Fixture.EXPIRED_AFTER;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The IdP is down and the cached token has expired: callers must get a typed error within the
 * configured deadline (never an expired token, never an unbounded wait), and the circuit breaker
 * must open after the configured number of failures, reject without sending while open, and let a
 * probe through after its delay.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IdpOutageAfterExpiryIT {

    /** One attempt at most 300 ms, a grant (three attempts) at most one second. */
    private static final Duration DEADLINE = Duration.ofSeconds(1);
    /** Callers would wait this long for a token: far longer than the deadline, so the deadline is what bounds them. */
    private static final Duration ACQUIRE_TIMEOUT = Duration.ofSeconds(30);
    /** A generous bound on how long a failing call may take: the deadline plus scheduling slack on a busy machine. */
    private static final Duration BOUND = DEADLINE.plusSeconds(4);
    private static final int THREADS = 16;

    private final SecretScanner scanner = new SecretScanner();

    @AfterAll
    void scan() {
        scanner.close();
    }

    private static Resilience noBreaker() {
        return new Resilience(RetryStrategy.fixed(Duration.ofMillis(20), 3), Duration.ofMillis(300), DEADLINE, 0,
                Duration.ofSeconds(1), 1);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Outage.class)
    @DisplayName("16 callers of an expired token get a typed error within the deadline; none waits unbounded")
    void typedErrorWithinDeadline(Outage outage) throws Exception {
        try (Fixture f = new Fixture(scanner, noBreaker(), b -> b.acquireTimeout(ACQUIRE_TIMEOUT))) {
            f.firstToken();
            outage.begin(f.idp);
            f.clock.advance(EXPIRED_AFTER.plusSeconds(1));
            int before = f.idp.requestCount();

            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Long>> calls = new ArrayList<>();
            Fixture.Tally tally = new Fixture.Tally();
            for (int i = 0; i < THREADS; i++) {
                calls.add(pool.submit(() -> {
                    start.await();
                    long t0 = System.nanoTime();
                    assertThat(tally.call(f)).as("no token, expired or not").isNull();
                    return System.nanoTime() - t0;
                }));
            }
            start.countDown();
            pool.shutdown();
            assertThat(pool.awaitTermination(BOUND.toMillis() * 2, TimeUnit.MILLISECONDS))
                    .as("every caller thread returned").isTrue();

            for (Future<Long> c : calls) {
                assertThat(Duration.ofNanos(c.get())).as("one caller's wait").isLessThan(BOUND);
            }
            assertThat(tally.failures.get()).isEqualTo(THREADS);
            assertThat(tally.expiredByServer.get() + tally.expiredByPolicy.get()).isZero();
            assertThat(tally.errors).allSatisfy(e -> {
                assertThat(e).isInstanceOf(TokenException.class);
                assertThat(((TokenException) e).kind()).isIn(FailureKind.NETWORK, FailureKind.TIMEOUT, FailureKind.SERVER_ERROR);
                assertThat(((TokenException) e).isTransient()).isTrue();
            });
            if (outage.countable()) {
                assertThat(f.idp.requestCount() - before)
                        .as("16 callers joined one grant of at most three attempts").isBetween(1, 3);
            }
            assertThat(f.manager.status(KEY).isValid()).isFalse();
        }
    }

    @Test
    @DisplayName("the async form fails within the deadline too")
    void asyncWithinDeadline() {
        try (Fixture f = new Fixture(scanner, noBreaker(), b -> b.acquireTimeout(ACQUIRE_TIMEOUT))) {
            f.firstToken();
            Outage.HANG.begin(f.idp);
            f.clock.advance(EXPIRED_AFTER);

            long t0 = System.nanoTime();
            CompletableFuture<AccessToken> stage = f.manager.tokenAsync(KEY).toCompletableFuture();
            CompletionException e = catchThrowableOfType(CompletionException.class,
                    () -> stage.orTimeout(BOUND.toMillis(), TimeUnit.MILLISECONDS).join());

            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(BOUND);
            assertThat(e.getCause()).isInstanceOfSatisfying(TokenException.class,
                    te -> assertThat(te.kind()).isEqualTo(FailureKind.TIMEOUT));
            scanner.seen(e);
        }
    }

    @Test
    @DisplayName("the breaker opens after the configured failures, rejects without a request, then probes")
    void breakerOpensAndProbes() {
        Duration openDelay = Duration.ofMillis(600);
        Resilience oneAttempt = Resilience.none(DEADLINE).withBreaker(3, openDelay, 1);
        try (Fixture f = new Fixture(scanner, oneAttempt, b -> b.acquireTimeout(ACQUIRE_TIMEOUT))) {
            f.firstToken();
            Outage.SERVICE_UNAVAILABLE.begin(f.idp);
            f.clock.advance(EXPIRED_AFTER.plusSeconds(1));
            Fixture.Tally tally = new Fixture.Tally();

            for (int i = 1; i <= 3; i++) {
                tally.call(f);
                assertThat(f.idp.requestCount()).isEqualTo(1 + i);
            }
            assertThat(kinds(tally)).containsExactly(FailureKind.SERVER_ERROR, FailureKind.SERVER_ERROR, FailureKind.SERVER_ERROR);
            assertThat(f.manager.circuitState(Fixture.CLIENT)).isEqualTo(CircuitState.OPEN);

            long t0 = System.nanoTime();
            tally.call(f);
            TokenException open = (TokenException) tally.errors.get(3);
            assertThat(open.kind()).isEqualTo(FailureKind.CIRCUIT_OPEN);
            assertThat(open.retryAfter()).hasValueSatisfying(d -> assertThat(d).isLessThanOrEqualTo(openDelay));
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("rejected at once").isLessThan(Duration.ofSeconds(1));
            assertThat(f.idp.requestCount()).as("no request while open").isEqualTo(4);

            // the open delay is the breaker's own (real) time: wait it out; the probe fails, the breaker reopens
            Fixture.sleep(openDelay.toMillis() + 200);
            tally.call(f);
            assertThat(f.idp.requestCount()).as("exactly one probe").isEqualTo(5);
            assertThat(f.manager.circuitState(Fixture.CLIENT)).isEqualTo(CircuitState.OPEN);

            // the IdP is back: after the delay one probe succeeds and closes the breaker
            f.idp.issueTokens(Fixture.LIFETIME);
            Fixture.sleep(openDelay.toMillis() + 200);
            AccessToken token = tally.call(f);
            assertThat(token).isNotNull();
            assertThat(f.idp.requestCount()).isEqualTo(6);
            assertThat(f.manager.circuitState(Fixture.CLIENT)).isEqualTo(CircuitState.CLOSED);
            assertThat(tally.expiredByServer.get() + tally.expiredByPolicy.get()).isZero();

            assertThat(f.events.of(TokenEvent.CircuitStateChanged.class))
                    .extracting(TokenEvent.CircuitStateChanged::to)
                    .containsExactly(CircuitState.OPEN, CircuitState.HALF_OPEN, CircuitState.OPEN, CircuitState.HALF_OPEN,
                            CircuitState.CLOSED);
            f.events.all().forEach(scanner::seen);
        }
    }

    @Test
    @DisplayName("a hanging IdP opens the breaker too, and calls while open do not wait")
    void hangOpensBreaker() {
        Resilience r = new Resilience(RetryStrategy.fixed(Duration.ofMillis(20), 3), Duration.ofMillis(300), DEADLINE, 3,
                Duration.ofSeconds(30), 1);
        try (Fixture f = new Fixture(scanner, r, b -> b.acquireTimeout(ACQUIRE_TIMEOUT))) {
            f.firstToken();
            f.idp.alwaysRespond(Response.hang());
            f.clock.advance(EXPIRED_AFTER);
            Fixture.Tally tally = new Fixture.Tally();

            tally.call(f); // three timed-out attempts: the breaker opens
            assertThat(f.manager.circuitState(Fixture.CLIENT)).isEqualTo(CircuitState.OPEN);
            int sent = f.idp.requestCount();
            long t0 = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                tally.call(f);
            }

            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("20 rejected calls").isLessThan(Duration.ofSeconds(2));
            assertThat(f.idp.requestCount()).isEqualTo(sent);
            assertThat(kinds(tally).subList(1, 21)).containsOnly(FailureKind.CIRCUIT_OPEN);
        }
    }

    private static List<FailureKind> kinds(Fixture.Tally tally) {
        return tally.errors.stream().map(e -> ((TokenException) e).kind()).toList();
    }
}
