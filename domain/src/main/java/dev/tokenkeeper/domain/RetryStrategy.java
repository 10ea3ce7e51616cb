package dev.tokenkeeper.domain;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * When to try a failed token request again, and how long to wait first. Only transient failures
 * ({@link FailureKind#isTransient()}) are retried, except a {@link FailureKind#CIRCUIT_OPEN}, which
 * says when to come back through its own {@code retryAfter}. A server's {@code Retry-After} is
 * honoured: the wait is never shorter than it (up to {@link #maxRetryAfter()}).
 *
 * <p>Ready strategies: {@link #none()}, {@link #fixed}, {@link #linear} and
 * {@link #exponentialWithJitter}. Implementations must be immutable and thread-safe.
 */
public interface RetryStrategy {

    /** A server may ask for at most this long a pause; longer asks are capped, not obeyed. */
    Duration DEFAULT_MAX_RETRY_AFTER = Duration.ofSeconds(30);

    /** How many attempts at most, the first included; 1 means no retry. */
    int maxAttempts();

    /**
     * The pause before the next attempt, after {@code failedAttempts} failures (1 after the first),
     * without regard to Retry-After.
     */
    Duration backoff(int failedAttempts, RandomGenerator random);

    /** The longest Retry-After this strategy will honour. */
    default Duration maxRetryAfter() {
        return DEFAULT_MAX_RETRY_AFTER;
    }

    /** Whether {@code failure} is worth another attempt (given attempts remain). */
    default boolean isRetryable(TokenException failure) {
        return failure.isTransient() && failure.kind() != FailureKind.CIRCUIT_OPEN;
    }

    /**
     * The pause before the next attempt: the backoff, or the server's Retry-After (capped at
     * {@link #maxRetryAfter()}) when that is longer.
     */
    default Duration delay(int failedAttempts, TokenException failure, RandomGenerator random) {
        Duration backoff = backoff(failedAttempts, random);
        Duration asked = failure.retryAfter().orElse(Duration.ZERO);
        if (asked.compareTo(maxRetryAfter()) > 0) {
            asked = maxRetryAfter();
        }
        return asked.compareTo(backoff) > 0 ? asked : backoff;
    }

    /** Never retry. */
    static RetryStrategy none() {
        return new Strategies.Fixed(Duration.ZERO, 1);
    }

    /** Retry after the same pause each time. */
    static RetryStrategy fixed(Duration delay, int maxAttempts) {
        return new Strategies.Fixed(delay, maxAttempts);
    }

    /** Pause {@code initial}, then {@code initial + step}, ..., never more than {@code max}. */
    static RetryStrategy linear(Duration initial, Duration step, Duration max, int maxAttempts) {
        return new Strategies.Linear(initial, step, max, maxAttempts);
    }

    /**
     * "Full jitter" exponential backoff: pause a random time in {@code [0, min(cap, base × 2^(n-1))]},
     * so that many clients retrying at once spread out instead of stampeding together.
     */
    static RetryStrategy exponentialWithJitter(Duration base, Duration cap, int maxAttempts) {
        return new Strategies.ExponentialJitter(base, cap, maxAttempts);
    }

    /**
     * Exponential backoff with any factor: the pause after {@code n} failures is
     * {@code min(cap, base × factor^(n-1))}, then spread by {@code jitter}. With factor 2 and
     * {@link Jitter#FULL} it is {@link #exponentialWithJitter}.
     *
     * @param factor at least 1 (1 is a fixed pause)
     * @throws IllegalArgumentException if a value is out of range
     */
    static RetryStrategy exponential(Duration base, Duration cap, double factor, Jitter jitter, int maxAttempts) {
        return new Strategies.Exponential(base, cap, factor, jitter, maxAttempts);
    }

    /**
     * This strategy, honouring a server's {@code Retry-After} up to {@code max} instead of
     * {@link #maxRetryAfter()}.
     */
    default RetryStrategy withMaxRetryAfter(Duration max) {
        return new Strategies.RetryAfterCap(this instanceof Strategies.RetryAfterCap c ? c.inner() : this, max);
    }

    /** How a computed pause is spread so that many clients retrying at once do not stampede. */
    enum Jitter {
        /** The computed pause exactly. */
        NONE,
        /** Uniform in {@code [0, pause]} ("full jitter"): the widest spread. */
        FULL,
        /** Uniform in {@code [pause/2, pause]} ("equal jitter"): never less than half the pause. */
        EQUAL
    }
}

/** The ready strategies; package-private so that only the factory methods are API. */
final class Strategies {
    private Strategies() {}

    static int attempts(int maxAttempts) {
        if (maxAttempts < 1 || maxAttempts > 100) {
            throw new IllegalArgumentException("maxAttempts must be between 1 and 100, was " + maxAttempts);
        }
        return maxAttempts;
    }

    static Duration nonNegative(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " must be zero or positive, was " + d);
        }
        return d;
    }

    record Fixed(Duration delay, int maxAttempts) implements RetryStrategy {
        Fixed {
            nonNegative(delay, "delay");
            attempts(maxAttempts);
        }

        @Override
        public Duration backoff(int failedAttempts, RandomGenerator random) {
            return delay;
        }
    }

    record Linear(Duration initial, Duration step, Duration max, int maxAttempts) implements RetryStrategy {
        Linear {
            nonNegative(initial, "initial");
            nonNegative(step, "step");
            nonNegative(max, "max");
            attempts(maxAttempts);
        }

        @Override
        public Duration backoff(int failedAttempts, RandomGenerator random) {
            Duration d = initial.plus(step.multipliedBy(Math.max(0, failedAttempts - 1)));
            return d.compareTo(max) > 0 ? max : d;
        }
    }

    record Exponential(Duration base, Duration cap, double factor, Jitter jitter, int maxAttempts)
            implements RetryStrategy {
        Exponential {
            nonNegative(base, "base");
            nonNegative(cap, "cap");
            Objects.requireNonNull(jitter, "jitter");
            if (!(factor >= 1 && factor <= 100)) {
                throw new IllegalArgumentException("factor must be between 1 and 100, was " + factor);
            }
            attempts(maxAttempts);
        }

        @Override
        public Duration backoff(int failedAttempts, RandomGenerator random) {
            double pause = base.toMillis() * Math.pow(factor, Math.max(0, failedAttempts - 1));
            long millis = (long) Math.min(pause, (double) cap.toMillis());
            return Duration.ofMillis(switch (jitter) {
                case NONE -> millis;
                case FULL -> millis <= 0 ? 0 : random.nextLong(millis + 1);
                case EQUAL -> millis <= 0 ? 0 : millis - random.nextLong(millis / 2 + 1);
            });
        }
    }

    record RetryAfterCap(RetryStrategy inner, Duration maxRetryAfter) implements RetryStrategy {
        RetryAfterCap {
            Objects.requireNonNull(inner, "inner");
            nonNegative(maxRetryAfter, "maxRetryAfter");
        }

        @Override
        public int maxAttempts() {
            return inner.maxAttempts();
        }

        @Override
        public Duration backoff(int failedAttempts, RandomGenerator random) {
            return inner.backoff(failedAttempts, random);
        }

        @Override
        public boolean isRetryable(TokenException failure) {
            return inner.isRetryable(failure);
        }
    }

    record ExponentialJitter(Duration base, Duration cap, int maxAttempts) implements RetryStrategy {
        ExponentialJitter {
            nonNegative(base, "base");
            nonNegative(cap, "cap");
            attempts(maxAttempts);
        }

        @Override
        public Duration backoff(int failedAttempts, RandomGenerator random) {
            int shift = Math.min(30, Math.max(0, failedAttempts - 1));
            long capMillis = cap.toMillis();
            long ceiling = base.toMillis() > (capMillis >> shift) ? capMillis : base.toMillis() << shift;
            if (ceiling <= 0) {
                return Duration.ZERO;
            }
            return Duration.ofMillis(random.nextLong(ceiling + 1));
        }
    }
}
