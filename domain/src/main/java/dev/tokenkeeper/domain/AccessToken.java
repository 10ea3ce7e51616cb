package dev.tokenkeeper.domain;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * An access token as the manager holds it: the value, its type, when it was issued (the moment the
 * token request was <em>sent</em>, so network latency shortens rather than lengthens its assumed
 * life), when it expires, the scopes granted and an optional refresh token with, where known, its
 * own expiry (a refresh token usually outlives its access token, so it is kept, sealed, until then).
 *
 * <p>{@link #toString()} never shows the token or the refresh token. Immutable and thread-safe.
 */
public final class AccessToken {

    private final Secret value;
    private final String tokenType;
    private final Instant issuedAt;
    private final Instant expiresAt;
    private final Set<String> scopes;
    private final Secret refreshToken;
    private final Instant refreshTokenExpiresAt;

    /**
     * @param value the token
     * @param tokenType the token type, e.g. {@code Bearer}
     * @param issuedAt when the token request was sent
     * @param expiresAt when the token expires; after {@code issuedAt}
     * @param scopes the granted scopes
     * @param refreshToken the refresh token, or null
     * @throws IllegalArgumentException if {@code expiresAt} is not after {@code issuedAt}
     */
    public AccessToken(
            Secret value, String tokenType, Instant issuedAt, Instant expiresAt, Set<String> scopes, Secret refreshToken) {
        this(value, tokenType, issuedAt, expiresAt, scopes, refreshToken, null);
    }

    /**
     * @param value the token
     * @param tokenType the token type, e.g. {@code Bearer}
     * @param issuedAt when the token request was sent
     * @param expiresAt when the token expires; after {@code issuedAt}
     * @param scopes the granted scopes
     * @param refreshToken the refresh token, or null
     * @param refreshTokenExpiresAt when the refresh token expires, or null if unknown (or there is none)
     * @throws IllegalArgumentException if {@code expiresAt} is not after {@code issuedAt}
     */
    public AccessToken(Secret value, String tokenType, Instant issuedAt, Instant expiresAt, Set<String> scopes,
            Secret refreshToken, Instant refreshTokenExpiresAt) {
        this.value = Objects.requireNonNull(value, "value");
        this.tokenType = Objects.requireNonNull(tokenType, "tokenType");
        this.issuedAt = Objects.requireNonNull(issuedAt, "issuedAt");
        this.expiresAt = Objects.requireNonNull(expiresAt, "expiresAt");
        if (!expiresAt.isAfter(issuedAt)) {
            throw new IllegalArgumentException("expiresAt must be after issuedAt");
        }
        this.scopes = Set.copyOf(Objects.requireNonNull(scopes, "scopes"));
        this.refreshToken = refreshToken;
        this.refreshTokenExpiresAt = refreshToken == null ? null : refreshTokenExpiresAt;
    }

    /** The token value. */
    public Secret value() {
        return value;
    }

    /** The token type as the server sent it, e.g. {@code Bearer}. */
    public String tokenType() {
        return tokenType;
    }

    /** When the token request that produced this token was sent. */
    public Instant issuedAt() {
        return issuedAt;
    }

    /** When the token expires, by the server's stated lifetime counted from {@link #issuedAt()}. */
    public Instant expiresAt() {
        return expiresAt;
    }

    /** The lifetime the server granted. */
    public Duration lifetime() {
        return Duration.between(issuedAt, expiresAt);
    }

    /** The scopes granted. */
    public Set<String> scopes() {
        return scopes;
    }

    /** The refresh token, if the server issued one. */
    public Optional<Secret> refreshToken() {
        return Optional.ofNullable(refreshToken);
    }

    /** When the refresh token expires, if there is one and its expiry is known. */
    public Optional<Instant> refreshTokenExpiresAt() {
        return Optional.ofNullable(refreshTokenExpiresAt);
    }

    /**
     * How long a store should keep this token: until the access token expires, or until the refresh
     * token does if that is later (a later process may still use the refresh token).
     */
    public Instant keepUntil() {
        return refreshTokenExpiresAt != null && refreshTokenExpiresAt.isAfter(expiresAt) ? refreshTokenExpiresAt : expiresAt;
    }

    /** This token with another refresh token (for example a rotated one) of unknown expiry, or none. */
    public AccessToken withRefreshToken(Secret newRefreshToken) {
        return new AccessToken(value, tokenType, issuedAt, expiresAt, scopes, newRefreshToken);
    }

    /**
     * The value of the HTTP {@code Authorization} header that presents this token to a resource
     * server: {@code Bearer <token>} (RFC 6750 §2.1), or {@code DPoP <token>} for a DPoP-bound
     * token (RFC 9449 §7.1, which goes with a {@code DPoP} proof per request: see
     * {@code domain.api.Credentials}), whatever the case the server wrote {@code token_type} in. Use it
     * instead of assembling the header from {@link #value()}, whose {@code toString()} is
     * {@code Secret[redacted]}; send it, never log it.
     *
     * @throws IllegalArgumentException if the token holds a line break, which would split the header
     */
    public String authorizationValue() {
        String v = value.reveal();
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '\r' || c == '\n') {
                throw new IllegalArgumentException("the access token holds a line break; it cannot be sent in a header");
            }
        }
        return ("dpop".equalsIgnoreCase(tokenType) ? "DPoP " : "Bearer ") + v;
    }

    /** Whether {@code other} carries the same token value as this one. */
    public boolean sameValueAs(AccessToken other) {
        return other != null && value.equals(other.value);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AccessToken t
                && value.equals(t.value)
                && tokenType.equals(t.tokenType)
                && issuedAt.equals(t.issuedAt)
                && expiresAt.equals(t.expiresAt)
                && scopes.equals(t.scopes)
                && Objects.equals(refreshToken, t.refreshToken)
                && Objects.equals(refreshTokenExpiresAt, t.refreshTokenExpiresAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(value, expiresAt);
    }

    @Override
    public String toString() {
        return "AccessToken[type=" + tokenType + ", issuedAt=" + issuedAt + ", expiresAt=" + expiresAt
                + ", scopes=" + scopes + ", refreshToken=" + (refreshToken == null ? "none" : "present")
                + (refreshTokenExpiresAt == null ? "" : ", refreshTokenExpiresAt=" + refreshTokenExpiresAt) + "]";
    }
}
