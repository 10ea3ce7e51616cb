package dev.tokenkeeper.domain.api;

import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.Freshness;
import dev.tokenkeeper.domain.TokenKey;
import java.time.Instant;
import java.util.Optional;

/**
 * What is known of one key's token, for status pages and CLIs. Holds no token value.
 *
 * @param key the key
 * @param freshness the freshness now, or empty if there is no token
 * @param expiresAt when the token expires (the server's word), or null
 * @param refreshAt when the token becomes refresh-due, or null
 * @param source where the current token came from, or null
 * @param lastError the kind of the last failure for this key since the last success, or null
 * @param failFastUntil until when callers without a valid token fail at once with the remembered
 *     permanent failure ({@code lastError}) instead of sending a token request, or null if no
 *     failure is remembered
 */
public record TokenStatus(
        TokenKey key,
        Freshness freshness,
        Instant expiresAt,
        Instant refreshAt,
        Source source,
        FailureKind lastError,
        Instant failFastUntil) {

    /** A status without a remembered failure. */
    public TokenStatus(
            TokenKey key, Freshness freshness, Instant expiresAt, Instant refreshAt, Source source, FailureKind lastError) {
        this(key, freshness, expiresAt, refreshAt, source, lastError, null);
    }

    /** Where a token came from. */
    public enum Source {
        /** Acquired from the identity provider by this instance. */
        IDP,
        /** Read from the shared store (another instance, or an earlier process, acquired it). */
        STORE,
        /** Put in from outside ({@code TokenManager.put}: a login UI, another tool, the environment). */
        IMPORTED
    }

    /** Whether a token is held at all. */
    public boolean hasToken() {
        return freshness != null;
    }

    /** Whether the held token may be served now. */
    public boolean isValid() {
        return freshness != null && freshness != Freshness.EXPIRED;
    }

    /**
     * Whether there is no token that may be served now: none is held, or the held one is past its
     * expiry point (the server's expiry less the clock-skew margin, {@code refresh.clock-skew}).
     * The first of the two thresholds; {@link #needsRefresh()} is the earlier one.
     */
    public boolean isExpired() {
        return !isValid();
    }

    /**
     * Whether the token should be refreshed now: none is held, or the held one is past its refresh
     * point ({@link #refreshAt()}: the refresh margin, {@code refresh.ahead}, before expiry), or
     * expired. True whenever {@link #isExpired()} is.
     */
    public boolean needsRefresh() {
        return freshness != Freshness.FRESH;
    }

    /** The last failure kind, if any. */
    public Optional<FailureKind> lastFailure() {
        return Optional.ofNullable(lastError);
    }

    /** Until when a permanent failure is remembered (callers fail fast without a request), if it is. */
    public Optional<Instant> failingFastUntil() {
        return Optional.ofNullable(failFastUntil);
    }
}
