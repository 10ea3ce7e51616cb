package dev.tokenkeeper.testsupport;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waits, bounded, for a condition that other threads, processes or real servers make true. It is a
 * poll for an outcome, not a sleep that stands in for time: where token time matters, tests move a
 * {@link TestClock} instead.
 */
public final class Await {

    /** Long enough for a loaded 2-core CI machine; a test that needs more says so. */
    public static final Duration DEFAULT_PATIENCE = Duration.ofSeconds(10);

    private Await() {}

    /**
     * Returns once {@code condition} holds.
     *
     * @throws AssertionError naming {@code what} if it does not hold within {@link #DEFAULT_PATIENCE}
     */
    public static void until(String what, BooleanSupplier condition) {
        until(what, DEFAULT_PATIENCE, condition);
    }

    /**
     * Returns once {@code condition} holds.
     *
     * @throws AssertionError naming {@code what} if it does not hold within {@code patience}
     */
    public static void until(String what, Duration patience, BooleanSupplier condition) {
        until(what, patience, Duration.ofMillis(2), condition);
    }

    /**
     * Returns once {@code condition} holds, checking it every {@code pollEvery}: for a condition
     * that costs a round trip (an HTTP status page), so that polling does not load what it watches.
     *
     * @throws AssertionError naming {@code what} if it does not hold within {@code patience}
     */
    public static void until(String what, Duration patience, Duration pollEvery, BooleanSupplier condition) {
        long deadline = System.nanoTime() + patience.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + patience + " waiting until " + what);
            }
            try {
                Thread.sleep(pollEvery.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting until " + what, e);
            }
        }
    }
}
