package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.api.TokenStatus;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A cached token with its refresh and expiry points precomputed, and its completed stage: what the
 * hot path reads. Immutable; replaced whole.
 */
final class Entry {
    final AccessToken token;
    final long refreshAtMillis;
    final long expiresAtMillis;
    final CompletionStage<AccessToken> completed;
    final TokenStatus.Source source;

    Entry(AccessToken token, long refreshAtMillis, long expiresAtMillis, TokenStatus.Source source) {
        this.token = token;
        this.refreshAtMillis = refreshAtMillis;
        this.expiresAtMillis = expiresAtMillis;
        this.completed = CompletableFuture.completedStage(token);
        this.source = source;
    }

    /** Whether it may be served at {@code now}: before its refresh point for a background refresh, else before expiry. */
    boolean servableAt(long now, boolean background) {
        return background ? now < refreshAtMillis : now < expiresAtMillis;
    }

    /**
     * Whether this entry, read from the store, may replace {@code current} (null if none) at {@code now}:
     * it expires later, and is servable for the purpose.
     */
    boolean canReplace(Entry current, long now, boolean background) {
        if (current != null && !token.expiresAt().isAfter(current.token.expiresAt())) {
            return false;
        }
        return servableAt(now, background);
    }
}
