package dev.tokenkeeper.bootstrap.resilience;

import dev.tokenkeeper.testsupport.Await;
import dev.tokenkeeper.testsupport.SecretScanner;
import static dev.tokenkeeper.bootstrap.resilience.Fixture.EXPIRED_AFTER;
import static dev.tokenkeeper.bootstrap.resilience.Fixture.KEY;
import static dev.tokenkeeper.bootstrap.resilience.Fixture.REFRESH_DUE_AFTER;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.api.TokenEvent;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The IdP goes down while a valid token is cached and stays down for longer than the whole refresh
 * window (from the refresh point to the policy's expiry): callers must not notice. The clock is moved
 * second by second through the window; at each second the test starts the due refresh (it fails
 * against the dead IdP), lets it end, and calls the manager as a caller would.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IdpOutageWhileTokenValidIT {

    private static final int CALLS_PER_SECOND = 10;

    private final SecretScanner scanner = new SecretScanner();

    @AfterAll
    void scan() {
        scanner.close();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Outage.class)
    @DisplayName("IdP down through the refresh window: zero failed caller requests, zero expired tokens")
    void outageThroughTheRefreshWindow(Outage outage) {
        try (Fixture f = new Fixture(scanner, Fixture.quick(), Fixture.SAME_THREAD)) {
            AccessToken first = f.firstToken();
            f.clock.advance(REFRESH_DUE_AFTER.minusSeconds(10)); // still fresh, outage starts now
            outage.begin(f.idp);
            Fixture.Tally tally = new Fixture.Tally();

            // from 10 s before the refresh point to the last second before the policy's expiry: 70 s of
            // outage, longer than the 60 s refresh window
            long seconds = EXPIRED_AFTER.minus(REFRESH_DUE_AFTER).toSeconds() + 10 - 1;
            for (int s = 0; s < seconds; s++) {
                f.clock.advance(Duration.ofSeconds(1));
                long ended = f.events.backgroundEnded();
                boolean started = Fixture.startRefreshIfDue(f.manager, f.events, KEY);
                for (int i = 0; i < CALLS_PER_SECOND; i++) {
                    tally.call(f); // while the refresh is in flight: the hot path must not wait for it
                }
                if (started) {
                    f.events.awaitBackgroundEnded(ended);
                    // the failure event comes a moment before the manager records the failure and
                    // frees the key for the next refresh: without this the loop can outrun it
                    Await.until("the manager recorded the failed refresh",
                            () -> f.manager.status(KEY).lastFailure().isPresent());
                }
                tally.call(f);
            }

            tally.assertNoFailureAndNothingExpired();
            assertThat(tally.calls.get()).isEqualTo((int) seconds * (CALLS_PER_SECOND + 1));
            assertThat(tally.served).as("the cached token carried every caller").allMatch(first::sameValueAs);
            long failedRefreshes = f.events.count(TokenEvent.AcquisitionFailed.class, TokenEvent.AcquisitionFailed::background);
            // the loop awaits the refreshes its own sweeps start; callers on the hot path may start one
            // it does not await, so only "refreshes kept being tried" is certain, not how many ended
            assertThat(failedRefreshes).as("background refreshes that met the outage; events: %s; status: %s", f.events.all(), f.manager.status(KEY)).isGreaterThanOrEqualTo(2);
            assertThat(f.events.count(TokenEvent.AcquisitionSucceeded.class, e -> true)).as("only the first grant").isEqualTo(1);
            if (outage.countable()) {
                assertThat(f.idp.requestCount()).as("refresh attempts reached the IdP").isGreaterThan(1);
            }
            assertThat(f.manager.status(KEY).isValid()).isTrue();
            f.events.all().forEach(scanner::seen);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Outage.class, names = {"HANG", "SERVICE_UNAVAILABLE"})
    @DisplayName("when the IdP comes back before expiry, the next refresh replaces the token; callers never failed")
    void recoveryWithinTheWindow(Outage outage) {
        try (Fixture f = new Fixture(scanner, Fixture.quick(), Fixture.SAME_THREAD)) {
            AccessToken first = f.firstToken();
            f.clock.advance(REFRESH_DUE_AFTER);
            outage.begin(f.idp);
            Fixture.Tally tally = new Fixture.Tally();
            for (int s = 0; s < 30; s++) {
                f.clock.advance(Duration.ofSeconds(1));
                refreshAndWait(f);
                tally.call(f);
            }

            f.idp.issueTokens(Fixture.LIFETIME);
            Fixture.sleep(500); // the breaker's open delay runs on real time: let it pass, so the next refresh probes
            long before = f.events.count(TokenEvent.AcquisitionSucceeded.class, TokenEvent.AcquisitionSucceeded::background);
            for (int s = 0; s < 29 && f.events.count(TokenEvent.AcquisitionSucceeded.class,
                    TokenEvent.AcquisitionSucceeded::background) == before; s++) {
                f.clock.advance(Duration.ofSeconds(1));
                Fixture.sleep(100); // real time too: connections of abandoned attempts time out (request timeout 2 s)
                refreshAndWait(f);
                tally.call(f);
            }

            tally.assertNoFailureAndNothingExpired();
            Fixture.awaitTokenOtherThan(f.manager, KEY, first);
            AccessToken now = tally.call(f);
            assertThat(now).isNotNull();
            assertThat(now.sameValueAs(first)).as("a new token after the recovery").isFalse();
            f.registerIssuedTokens();
        }
    }

    private static void refreshAndWait(Fixture f) {
        long ended = f.events.backgroundEnded();
        if (Fixture.startRefreshIfDue(f.manager, f.events, KEY)) {
            f.events.awaitBackgroundEnded(ended);
        }
    }
}
