package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.RetryStrategy;
import java.time.Duration;
import java.util.Objects;

/**
 * How the manager protects callers from a misbehaving token endpoint: a timeout per attempt, an
 * overall deadline for a grant, retries of transient failures by a {@link RetryStrategy} (which
 * honours {@code Retry-After}), and a circuit breaker per client registration that opens after
 * consecutive transient failures, rejects at once while open (a {@code CIRCUIT_OPEN} failure that
 * says when it will try again), and then lets probes through.
 *
 * <p>Immutable; validated on construction with messages that name the setting.
 *
 * @param retry which failures to retry and how long to wait between attempts
 * @param attemptTimeout the longest one attempt may take. The manager stops waiting then, but cannot
 *     abort an HTTP exchange: give the endpoint a request timeout no longer than this, or abandoned
 *     exchanges hold connections until their own timeout
 * @param deadline the longest a whole grant (every attempt and pause) may take
 * @param breakerFailureThreshold consecutive transient failures that open the breaker; 0 disables it
 * @param breakerOpenDelay how long the breaker stays open before it lets a probe through
 * @param breakerSuccessThreshold successful probes that close it again
 */
public record Resilience(
        RetryStrategy retry,
        Duration attemptTimeout,
        Duration deadline,
        int breakerFailureThreshold,
        Duration breakerOpenDelay,
        int breakerSuccessThreshold) {

    /** Four attempts, pauses of up to 250 ms, 500 ms, 1 s with full jitter: rides out a blip without piling on. */
    public static final RetryStrategy DEFAULT_RETRY =
            RetryStrategy.exponentialWithJitter(Duration.ofMillis(250), Duration.ofSeconds(5), 4);
    /** A token endpoint answers in well under a second; five seconds means it is in trouble. */
    public static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofSeconds(5);
    /** All attempts of one grant end within fifteen seconds; the cluster lease outlives this. */
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(15);
    /**
     * Ten consecutive transient failures open the breaker: more than two whole grants' worth of
     * retries, so one unlucky refresh during a blip does not shut the door on the next one.
     */
    public static final int DEFAULT_BREAKER_FAILURE_THRESHOLD = 10;
    /**
     * An open breaker probes again after ten seconds: long enough to spare a struggling IdP the
     * retries of many keys, short enough that callers without a valid token are not refused long
     * after it has recovered.
     */
    public static final Duration DEFAULT_BREAKER_OPEN_DELAY = Duration.ofSeconds(10);
    /** One successful probe closes it. */
    public static final int DEFAULT_BREAKER_SUCCESS_THRESHOLD = 1;

    private static final Resilience DEFAULTS = new Resilience(DEFAULT_RETRY, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_DEADLINE,
            DEFAULT_BREAKER_FAILURE_THRESHOLD, DEFAULT_BREAKER_OPEN_DELAY, DEFAULT_BREAKER_SUCCESS_THRESHOLD);

    public Resilience {
        Objects.requireNonNull(retry, "retry");
        positive(attemptTimeout, "attemptTimeout");
        positive(deadline, "deadline");
        positive(breakerOpenDelay, "breakerOpenDelay");
        if (attemptTimeout.compareTo(deadline) > 0) {
            throw new ConfigurationException(
                    "attemptTimeout (" + attemptTimeout + ") must not be longer than deadline (" + deadline + ")");
        }
        if (breakerFailureThreshold < 0 || breakerFailureThreshold > 1000) {
            throw new ConfigurationException(
                    "breakerFailureThreshold must be between 0 (off) and 1000, was " + breakerFailureThreshold);
        }
        if (breakerSuccessThreshold < 1 || breakerSuccessThreshold > 100) {
            throw new ConfigurationException(
                    "breakerSuccessThreshold must be between 1 and 100, was " + breakerSuccessThreshold);
        }
    }

    /** The defaults. */
    public static Resilience defaults() {
        return DEFAULTS;
    }

    /** One attempt, no breaker, bounded by {@code deadline}: for tests and for callers that retry themselves. */
    public static Resilience none(Duration deadline) {
        return new Resilience(RetryStrategy.none(), deadline, deadline, 0, DEFAULT_BREAKER_OPEN_DELAY, 1);
    }

    /** These settings with another retry strategy. */
    public Resilience withRetry(RetryStrategy retry) {
        return new Resilience(retry, attemptTimeout, deadline, breakerFailureThreshold, breakerOpenDelay,
                breakerSuccessThreshold);
    }

    /** These settings with other timeouts. */
    public Resilience withTimeouts(Duration attemptTimeout, Duration deadline) {
        return new Resilience(retry, attemptTimeout, deadline, breakerFailureThreshold, breakerOpenDelay,
                breakerSuccessThreshold);
    }

    /** These settings with another breaker. */
    public Resilience withBreaker(int failureThreshold, Duration openDelay, int successThreshold) {
        return new Resilience(retry, attemptTimeout, deadline, failureThreshold, openDelay, successThreshold);
    }

    /** Whether the circuit breaker is on. */
    public boolean breakerEnabled() {
        return breakerFailureThreshold > 0;
    }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isZero() || d.isNegative()) {
            throw new ConfigurationException(name + " must be positive, was " + d);
        }
    }
}
