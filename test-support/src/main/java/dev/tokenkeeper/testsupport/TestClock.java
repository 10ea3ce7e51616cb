package dev.tokenkeeper.testsupport;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock that tests move by hand, so that expiry is tested without sleeping. {@link #millis()}
 * allocates nothing, like the system clock's. Thread-safe.
 */
public final class TestClock implements InstantSource {

    private final AtomicLong millis;

    private TestClock(long millis) {
        this.millis = new AtomicLong(millis);
    }

    /** A clock at {@code start}. */
    public static TestClock at(Instant start) {
        return new TestClock(start.toEpochMilli());
    }

    /** A clock at 2026-01-01T00:00:00Z. */
    public static TestClock fixed() {
        return at(Instant.parse("2026-01-01T00:00:00Z"));
    }

    /** Moves the clock forward. */
    public void advance(Duration d) {
        millis.addAndGet(d.toMillis());
    }

    /** Sets the clock. */
    public void set(Instant instant) {
        millis.set(instant.toEpochMilli());
    }

    @Override
    public long millis() {
        return millis.get();
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis.get());
    }

    @Override
    public String toString() {
        return "TestClock[" + instant() + "]";
    }
}
