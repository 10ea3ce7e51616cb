package dev.tokenkeeper.domain.api;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Hands out valid access tokens. This is what business code and HTTP decorators depend on; they
 * never run a grant themselves. Implementations are thread-safe.
 */
public interface TokenProvider {

    /**
     * A token for {@code key} that is not expired by the provider's expiry policy, waiting (for a
     * bounded time) if none is at hand.
     *
     * @throws TokenException if none can be had within the provider's deadline
     */
    AccessToken token(TokenKey key);

    /**
     * The asynchronous form of {@link #token(TokenKey)}; the stage fails with a
     * {@link TokenException}. A cached token yields an already completed stage.
     */
    CompletionStage<AccessToken> tokenAsync(TokenKey key);

    /** Forgets the token for {@code key} everywhere it is cached: near cache and store. */
    void invalidate(TokenKey key);

    /**
     * Forgets the token for {@code key} only if it is still {@code rejected} (a resource server
     * just refused it); a newer token, obtained meanwhile by another caller, is kept.
     *
     * @return whether the rejected token was the current one and has been dropped
     */
    boolean invalidate(TokenKey key, AccessToken rejected);

    /**
     * The asynchronous form of {@link #invalidate(TokenKey, AccessToken)}, for callers on a thread
     * that must not block (an event loop: dropping a token may delete it from a shared store). The
     * stage completes once the token is dropped everywhere, with whether it was the current one, and
     * never fails (a failure only costs a refresh later). This default runs {@code invalidate} on
     * the common pool; a provider whose invalidation does no I/O, or that has threads of its own,
     * overrides it.
     */
    default CompletionStage<Boolean> invalidateAsync(TokenKey key, AccessToken rejected) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(rejected, "rejected");
        return CompletableFuture.supplyAsync(() -> invalidate(key, rejected)).exceptionally(e -> Boolean.FALSE);
    }

    /** What the provider knows of the token for {@code key}, without the token itself. */
    TokenStatus status(TokenKey key);
}
