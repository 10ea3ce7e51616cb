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

    /**
     * What the tokens of this endpoint are bound to, beyond the client: the JWK SHA-256 thumbprint
     * (RFC 7638) of its DPoP key (RFC 9449), or empty for bearer tokens. A manager makes it part of a
     * token's identity in a shared or persistent store, so that two clients that differ only by
     * their key never share a token (a token bound to another key is useless). Constant for the
     * endpoint's life; no secret (a thumbprint is of the public key). The default is empty.
     */
    default String tokenBinding() {
        return "";
    }

    /** Releases what the endpoint owns (an HTTP client, an event loop). Idempotent. */
    default void close() {}
}
