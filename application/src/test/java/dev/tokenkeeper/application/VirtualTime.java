package dev.tokenkeeper.application;

import dev.tokenkeeper.testsupport.TestClock;
import java.time.Duration;

/**
 * One virtual time for a manager under test: a {@link TestClock} for expiry, moved by a
 * {@link ManualScheduler} whose ticker measures elapsed time and which runs every delay (lease
 * polls, the sweep, grant pauses). Work runs on the test's thread, so each step is checked at the
 * virtual moment it happens, without sleeping.
 */
final class VirtualTime {
    final TestClock clock = TestClock.fixed();
    final ManualScheduler scheduler = new ManualScheduler(clock);

    /** {@code b} on this virtual time: clock, ticker, scheduler, same-thread executor, grants without Failsafe. */
    TokenManager.Builder on(TokenManager.Builder b) {
        return b.clock(clock)
                .ticker(scheduler.ticker)
                .scheduler(scheduler)
                .executor(Runnable::run)
                .grantExecutor((client, request, call) -> {
                    call.attemptStarted();
                    return client.endpoint().request(request).toCompletableFuture();
                });
    }

    /**
     * {@code b} on this virtual time with the real resilience policies: Failsafe runs attempts, retry
     * pauses and timeouts on the manual scheduler, and measures the deadline on its ticker.
     */
    TokenManager.Builder withFailsafe(TokenManager.Builder b) {
        return b.clock(clock).ticker(scheduler.ticker).scheduler(scheduler).executor(Runnable::run);
    }

    /** Moves time on by {@code d}, running everything that comes due. */
    void advance(Duration d) {
        scheduler.advance(d);
    }
}
