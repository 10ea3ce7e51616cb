package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.TokenException;
import java.time.Duration;
import java.time.Instant;

/**
 * What the manager remembers of failures per key: the back-off before the next background attempt
 * (doubled per failure), and a permanent failure remembered for a window (doubled per repeat) during
 * which callers without a valid token fail at once with a copy of it. A success, an invalidation,
 * {@link TokenManager#forgetFailures(String)} or a change of the client's credentials ends it.
 * Thread-safe (per-key fields are volatile; a key's failures are recorded by its single flight).
 */
final class FailureMemory {
    /** The longest pause between background refresh attempts. */
    private final long maxBackoffMillis;
    private final long backoffMillis;
    private final long permanentMillis;
    private final long maxPermanentMillis;

    FailureMemory(Duration backoff, Duration maxBackoff, Duration permanent, Duration maxPermanent) {
        this.backoffMillis = backoff.toMillis();
        this.maxBackoffMillis = maxBackoff.toMillis();
        this.permanentMillis = permanent.toMillis();
        this.maxPermanentMillis = maxPermanent.toMillis();
    }

    /** A success: every failure of the key is forgotten. */
    void succeeded(KeyState s) {
        s.consecutiveFailures = 0;
        s.lastError = null;
        forget(s);
    }

    /**
     * Records a failed flight at {@code now}: the back-off before the next background attempt, and a
     * permanent failure's window. Called before the flight ends, so that no caller slips in between
     * and sends again.
     */
    void failed(KeyState s, TokenException te, long now) {
        s.lastError = te.kind();
        int n = ++s.consecutiveFailures;
        long next = now + Math.min(maxBackoffMillis, backoffMillis << Math.min(n - 1, 16));
        if (!te.isTransient()) {
            int p = ++s.permanentFailures;
            long hold = doubled(permanentMillis, p, maxPermanentMillis);
            s.remembered = new Remembered(te, now, now + hold, credentialsVersion(s));
            next = Math.max(next, now + hold);
        }
        s.nextBackgroundAttemptMillis = next;
    }

    /** Ends a remembered permanent failure and the back-off; the failure count stays. */
    static void forget(KeyState s) {
        s.remembered = null;
        s.permanentFailures = 0;
        s.nextBackgroundAttemptMillis = 0;
    }

    /** Whether a background refresh may start at {@code now}. */
    static boolean backgroundAllowed(KeyState s, long now) {
        return now >= s.nextBackgroundAttemptMillis;
    }

    /**
     * The permanent failure remembered for {@code s} now, or null: none, its window is over, or the
     * client's credentials changed since (a rotated secret file), which ends it at once.
     */
    static Remembered remembered(KeyState s, long now) {
        Remembered r = s.remembered;
        if (r == null || now >= r.untilMillis) {
            return null;
        }
        if (r.credentialsVersion != credentialsVersion(s)) {
            forget(s); // the next failure starts the window afresh, at its first length
            return null;
        }
        return r;
    }

    /** Until when callers fail fast, for status: the window as recorded, or null. */
    static Instant failFastUntil(KeyState s, long now) {
        Remembered r = s.remembered;
        return r != null && now < r.untilMillis ? Instant.ofEpochMilli(r.untilMillis) : null;
    }

    private static long credentialsVersion(KeyState s) {
        try {
            return s.client.endpoint().credentialsVersion();
        } catch (RuntimeException e) {
            return 0; // an endpoint that cannot tell: the window runs its course
        }
    }

    /** {@code first} doubled {@code n - 1} times, at most {@code max}, without overflow. */
    static long doubled(long first, int n, long max) {
        int shift = Math.min(Math.max(n - 1, 0), 62);
        return first > (max >> shift) ? max : Math.min(max, first << shift);
    }

    /**
     * A permanent failure remembered for a key until {@code untilMillis}: callers without a valid
     * token get a copy that says so, and no request is sent.
     */
    record Remembered(TokenException failure, long seenAtMillis, long untilMillis, long credentialsVersion) {

        /** A copy of the failure for a caller at {@code nowMillis}, saying it is remembered and until when. */
        TokenException copy(long nowMillis) {
            Instant until = Instant.ofEpochMilli(untilMillis);
            return new TokenException(
                    failure.kind(),
                    failure.getMessage() + " [remembered: this permanent failure was seen at "
                            + Instant.ofEpochMilli(seenAtMillis) + "; until " + until
                            + " callers fail at once with it and no token request is sent (the time doubles with "
                            + "each repeat); fix the cause, then invalidate the key or forget the client's failures "
                            + "to try at once]",
                    failure,
                    Duration.ofMillis(untilMillis - nowMillis),
                    failure.httpStatus().orElse(0),
                    failure.oauthError().orElse(null));
        }
    }
}
