package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.Secret;
import java.time.Instant;

/**
 * A refresh token with when it expires (null if unknown) and when the token that carried it was
 * requested (the newer of two candidates wins: a rotating server has spent the older one).
 */
record RefreshCandidate(Secret token, Instant expiresAt, Instant issuedAt) {

    /** The refresh token of {@code t}, or null if it has none. */
    static RefreshCandidate of(AccessToken t) {
        return t.refreshToken()
                .map(rt -> new RefreshCandidate(rt, t.refreshTokenExpiresAt().orElse(null), t.issuedAt()))
                .orElse(null);
    }

    boolean usableAt(Instant now) {
        return expiresAt == null || now.isBefore(expiresAt);
    }

    /** Whether this one was issued after {@code other} (which may be null). */
    boolean newerThan(RefreshCandidate other) {
        return other == null || issuedAt.isAfter(other.issuedAt);
    }
}
