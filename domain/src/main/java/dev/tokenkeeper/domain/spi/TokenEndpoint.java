package dev.tokenkeeper.domain.spi;

import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * An OAuth 2.0 token endpoint of one client registration: it knows the URL, the client id, the
 * client's credentials and how to authenticate; it runs one grant per call.
 *
 * <p>Implementations are thread-safe, never block the calling thread, and complete every stage in
 * bounded time (they own the connect and request timeouts). Failures complete the stage with a
 * {@link TokenException} whose kind follows RFC 6749 §5.2 and whose message holds no secret.
 */
public interface TokenEndpoint {

    /** Runs one token request. */
    CompletionStage<TokenResponse> request(TokenRequest request);

    /**
     * Revokes a token (RFC 7009). The default says revocation is not configured.
     *
     * @param token the access or refresh token to revoke
     * @param tokenTypeHint {@code access_token} or {@code refresh_token}
     */
    default CompletionStage<Void> revoke(Secret token, String tokenTypeHint) {
        return CompletableFuture.failedFuture(new TokenException(
                FailureKind.BAD_CONFIGURATION, "this token endpoint has no revocation endpoint configured"));
    }

    /**
     * A number that changes whenever the credentials this endpoint authenticates with change (a
     * client secret file rewritten after a rotation, say). A manager that remembers a permanent
     * failure stops failing fast with it as soon as this number moves, so that a rotation is tried
     * at once instead of after the failure's window. Called only on the failure path, never on a
     * cache hit; it may do a cheap check (one {@code stat}). The default never changes.
     */
    default long credentialsVersion() {
        return 0;
    }

    /** Releases what the endpoint owns (an HTTP client, an event loop). Idempotent. */
    default void close() {}
}
