package dev.tokenkeeper.domain.port;

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
 */
public record TokenStatus(
        TokenKey key, Freshness freshness, Instant expiresAt, Instant refreshAt, Source source, FailureKind lastError) {

    /** Where a token came from. */
    public enum Source {
        /** Acquired from the identity provider by this instance. */
        IDP,
        /** Read from the shared store (another instance, or an earlier process, acquired it). */
        STORE
    }

    /** Whether a token is held at all. */
    public boolean hasToken() {
        return freshness != null;
    }

    /** Whether the held token may be served now. */
    public boolean isValid() {
        return freshness != null && freshness != Freshness.EXPIRED;
    }

    /** The last failure kind, if any. */
    public Optional<FailureKind> lastFailure() {
        return Optional.ofNullable(lastError);
    }
}
