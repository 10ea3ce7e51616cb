package dev.tokenkeeper.adapter.http;

import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.spi.TokenResponse;
import java.time.Duration;
import java.util.Set;

/**
 * An extra check of a token response, run after the standard RFC 6749 §5.1 validation and before
 * the response is handed to the caller. Off by default; set one with
 * {@link VertxTokenEndpoint.Builder#validator(TokenResponseValidator)}.
 *
 * <p>Implementations must be thread-safe and must not block: they run on an I/O thread.
 */
@FunctionalInterface
public interface TokenResponseValidator {

    /** The longest lifetime {@link #jwt(Set)} accepts: one day, the upper bound of mainstream IdPs' defaults. */
    Duration DEFAULT_MAX_JWT_LIFETIME = Duration.ofHours(24);

    /**
     * Accepts {@code response} or rejects it.
     *
     * @throws TokenException to reject it, preferably of kind {@link FailureKind#MALFORMED_RESPONSE};
     *     its message must not contain the token. Any other exception rejects it too, as
     *     {@code MALFORMED_RESPONSE}, and its message is not shown.
     */
    void validate(TokenResponse response);

    /**
     * A validator that requires the access token to be a three-part JWT (RFC 7519) whose header
     * {@code alg} is one of {@code allowedAlgorithms}, with a lifetime of at most
     * {@link #DEFAULT_MAX_JWT_LIFETIME}. See {@link #jwt(Set, Duration)}.
     */
    static TokenResponseValidator jwt(Set<String> allowedAlgorithms) {
        return jwt(allowedAlgorithms, DEFAULT_MAX_JWT_LIFETIME);
    }

    /**
     * A validator that requires the access token to be a three-part JWT (RFC 7519) whose header
     * {@code alg} is one of {@code allowedAlgorithms} and whose lifetime (the response's
     * {@code expires_in}, and {@code exp - iat} when the token has both claims) is at most
     * {@code maxLifetime}.
     *
     * <p>It checks the shape only and does not verify the signature: that is the resource server's
     * job. It catches an identity provider that was reconfigured to issue opaque tokens, unsigned
     * ({@code alg: none}) or weakly signed tokens, or tokens that live far longer than they should.
     *
     * @throws dev.tokenkeeper.domain.ConfigurationException if {@code allowedAlgorithms} is empty or
     *     contains {@code none}, or {@code maxLifetime} is not positive
     */
    static TokenResponseValidator jwt(Set<String> allowedAlgorithms, Duration maxLifetime) {
        return new JwtShapeValidator(allowedAlgorithms, maxLifetime);
    }
}
