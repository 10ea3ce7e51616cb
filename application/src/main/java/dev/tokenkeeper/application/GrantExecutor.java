package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.spi.TokenRequest;
import dev.tokenkeeper.domain.spi.TokenResponse;
import java.util.concurrent.CompletableFuture;

/** Runs one grant against a client's endpoint; the resilient form ({@link FailsafeGrants}) adds retries and a breaker. */
interface GrantExecutor {
    /**
     * Runs {@code request}, calling {@link GrantCall#attemptStarted()} just before each attempt is
     * sent, and completes with the response or the last failure, in bounded time.
     */
    CompletableFuture<TokenResponse> execute(ClientRegistration client, TokenRequest request, GrantCall call);

    default void close() {}
}
