package dev.tokenkeeper.domain.spi;

import dev.tokenkeeper.domain.Secret;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * A successful, validated token response (RFC 6749 §5.1). The endpoint adapter has already
 * resolved the lifetime: {@code expires_in}, else the JWT {@code exp}, else its configured default.
 *
 * @param accessToken the access token
 * @param tokenType the token type, as sent
 * @param expiresIn the lifetime, positive; the manager counts it from when the request was sent
 * @param scopes the granted scopes, or empty if the server did not say (RFC 6749: as requested)
 * @param refreshToken the refresh token, or null
 * @param refreshExpiresIn how long the refresh token lives, counted like {@code expiresIn}, where the
 *     server said so (Keycloak's {@code refresh_expires_in}); null if unknown
 */
public record TokenResponse(
        Secret accessToken,
        String tokenType,
        Duration expiresIn,
        Set<String> scopes,
        Secret refreshToken,
        Duration refreshExpiresIn) {

    public TokenResponse {
        Objects.requireNonNull(accessToken, "accessToken");
        Objects.requireNonNull(tokenType, "tokenType");
        Objects.requireNonNull(expiresIn, "expiresIn");
        if (expiresIn.isZero() || expiresIn.isNegative()) {
            throw new IllegalArgumentException("expiresIn must be positive, was " + expiresIn);
        }
        scopes = Set.copyOf(Objects.requireNonNull(scopes, "scopes"));
        if (refreshExpiresIn != null && (refreshExpiresIn.isZero() || refreshExpiresIn.isNegative())) {
            throw new IllegalArgumentException("refreshExpiresIn must be positive or null, was " + refreshExpiresIn);
        }
    }

    /** A response whose refresh token (if any) has no lifetime the server stated. */
    public TokenResponse(Secret accessToken, String tokenType, Duration expiresIn, Set<String> scopes, Secret refreshToken) {
        this(accessToken, tokenType, expiresIn, scopes, refreshToken, null);
    }
}
