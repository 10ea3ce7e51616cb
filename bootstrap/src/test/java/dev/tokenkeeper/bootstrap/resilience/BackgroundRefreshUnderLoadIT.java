package dev.tokenkeeper.bootstrap.resilience;

import dev.tokenkeeper.fakeidp.FakeIdp.Response;
import dev.tokenkeeper.testsupport.SecretScanner;
import static dev.tokenkeeper.bootstrap.resilience.Fixture.KEY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.application.Resilience;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.RetryStrategy;
import dev.tokenkeeper.domain.api.TokenEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.TestInstance;

/**
 * 64 threads hammer a refresh-due token while its refresh is slow at the IdP: all of them are served
 * the still-valid token at once, and the IdP sees exactly one refresh request.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BackgroundRefreshUnderLoadIT {

    private static final int THREADS = 64;
    private static final int CALLS_PER_THREAD = 50;
    /** The IdP takes this long to answer the refresh: far longer than 64 × 50 cache hits take. */
    private static final Duration IDP_DELAY = Duration.ofSeconds(3);

    private final SecretScanner scanner = new SecretScanner();

    @AfterAll
    void scan() {
        scanner.close();
    }

    @RepeatedTest(3)
    @DisplayName("64 threads during a background refresh: none waits for the IdP; exactly one refresh request")
    void sixtyFourThreads() throws Exception {
        Resilience patient = new Resilience(RetryStrategy.none(), Duration.ofSeconds(10), Duration.ofSeconds(10), 5,
                Duration.ofSeconds(30), 1);
        try (Fixture f = new Fixture(scanner, patient, Duration.ofSeconds(10), b -> b)) {
            AccessToken first = f.firstToken();
            f.idp.alwaysRespond(Response.tokens(Fixture.LIFETIME).withDelay(IDP_DELAY));
            f.clock.advance(Fixture.REFRESH_DUE_AFTER.plusSeconds(5));
            Fixture.Tally tally = new Fixture.Tally();

            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            CountDownLatch ready = new CountDownLatch(THREADS);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Long>> threads = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                threads.add(pool.submit(() -> {
                    ready.countDown();
                    go.await();
                    long slowest = 0;
                    for (int c = 0; c < CALLS_PER_THREAD; c++) {
                        long t0 = System.nanoTime();
                        tally.call(f);
                        slowest = Math.max(slowest, System.nanoTime() - t0);
                    }
                    return slowest;
                }));
            }
            assertThat(ready.await(Fixture.PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
            long start = System.nanoTime();
            go.countDown();
            pool.shutdown();
            assertThat(pool.awaitTermination(Fixture.PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
            long allDone = System.nanoTime() - start;
            boolean refreshStillRunning = f.events.count(TokenEvent.AcquisitionSucceeded.class,
                    TokenEvent.AcquisitionSucceeded::background) == 0;

            // every call was served while the refresh was still waiting for the IdP: nobody waited for it
            assertThat(Duration.ofNanos(allDone)).as("all 3200 calls").isLessThan(IDP_DELAY);
            assertThat(refreshStillRunning).as("the refresh had not finished when all callers were done").isTrue();
            for (Future<Long> t : threads) {
                assertThat(Duration.ofNanos(t.get())).as("a thread's slowest call").isLessThan(IDP_DELAY.dividedBy(2));
            }
            tally.assertNoFailureAndNothingExpired();
            assertThat(tally.calls.get()).isEqualTo(THREADS * CALLS_PER_THREAD);
            assertThat(tally.served).allMatch(first::sameValueAs);

            f.events.await(TokenEvent.AcquisitionSucceeded.class, TokenEvent.AcquisitionSucceeded::background, 1);
            Fixture.awaitTokenOtherThan(f.manager, KEY, first);
            assertThat(f.idp.requestCount()).as("the first grant and exactly one refresh").isEqualTo(2);
            assertThat(f.events.count(TokenEvent.AcquisitionStarted.class, TokenEvent.AcquisitionStarted::background))
                    .isEqualTo(1);
            assertThat(f.manager.token(KEY).sameValueAs(first)).as("the refreshed token is served next").isFalse();
        }
    }
}
