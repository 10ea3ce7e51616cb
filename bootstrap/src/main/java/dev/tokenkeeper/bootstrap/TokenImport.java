package dev.tokenkeeper.bootstrap;

import dev.tokenkeeper.adapter.http.SecretSource;
import dev.tokenkeeper.application.TokenManager;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.Secret;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.Set;

/**
 * A token pair obtained elsewhere (a login UI, another tool), to be put into tokenkeeper: from the
 * environment or a file ({@code clients.<name>.access-token-env}, {@code TOKENKEEPER_ACCESS_TOKEN},
 * ...) at start, or from the JSON that {@code tokenkeeper import} reads.
 *
 * <p>The access token's expiry is, in this order: the one given ({@code expires_at},
 * {@code expires_in}, {@code access-token-expires-at}), the {@code exp} claim of a JWT, or, if a
 * refresh token comes with it, "expired now" so that the first call refreshes with the refresh
 * token. An opaque access token alone, without an expiry, is refused: tokenkeeper would not know
 * when to stop serving it.
 *
 * @param accessToken where the access token comes from
 * @param refreshToken where the refresh token comes from, or null
 * @param expiresAt when the access token expires, or null to find out as above
 */
public record TokenImport(SecretSource accessToken, SecretSource refreshToken, Instant expiresAt) {

    /** Imported JSON larger than this is refused (a token pair is a few kilobytes). */
    static final int MAX_JSON_CHARS = 64 * 1024;

    public TokenImport {
        Objects.requireNonNull(accessToken, "accessToken");
    }

    /**
     * The token, dated at {@code now}.
     *
     * @throws ConfigurationException if the access token's expiry cannot be known, or it is empty
     */
    public AccessToken token(Instant now) {
        Secret access = accessToken.current();
        Secret refresh = refreshToken == null ? null : refreshToken.current();
        return token(access, refresh, expiresAt, null, now);
    }

    /**
     * Reads a token pair as JSON: the token response shape ({@code access_token}, {@code token_type},
     * {@code expires_in}, {@code refresh_token}, {@code refresh_expires_in}, {@code scope}) or
     * {@code expires_at} (ISO-8601 or epoch seconds) as tools that save tokens write it.
     *
     * @throws ConfigurationException naming what is wrong, never showing a value
     */
    public static AccessToken fromJson(String json, Instant now) {
        Objects.requireNonNull(json, "json");
        if (json.length() > MAX_JSON_CHARS) {
            throw new ConfigurationException("import: the token JSON is larger than " + MAX_JSON_CHARS + " characters");
        }
        JsonObject o;
        try {
            o = new JsonObject(json.strip());
        } catch (DecodeException | ClassCastException e) {
            throw new ConfigurationException("import: not a JSON object (expected {\"access_token\": ..., "
                    + "\"refresh_token\": ..., \"expires_in\" or \"expires_at\": ...}); the input is not shown");
        }
        String access = text(o, "access_token");
        if (access == null) {
            throw new ConfigurationException("import: access_token is missing or not a string");
        }
        String refresh = text(o, "refresh_token");
        Instant expiresAt = null;
        Object in = o.getValue("expires_in");
        Object at = o.getValue("expires_at");
        if (in instanceof Number n && n.longValue() > 0) {
            expiresAt = now.plusSeconds(n.longValue());
        } else if (in != null) {
            throw new ConfigurationException("import: expires_in must be a positive number of seconds");
        } else if (at instanceof Number n) {
            expiresAt = Instant.ofEpochSecond(n.longValue());
        } else if (at instanceof String s) {
            try {
                expiresAt = Instant.parse(s);
            } catch (DateTimeParseException e) {
                throw new ConfigurationException("import: expires_at must be ISO-8601 (2024-01-15T10:30:00Z) or epoch seconds");
            }
        } else if (at != null) {
            throw new ConfigurationException("import: expires_at must be ISO-8601 or epoch seconds");
        }
        Instant refreshExpiresAt = o.getValue("refresh_expires_in") instanceof Number n && n.longValue() > 0
                ? now.plusSeconds(n.longValue()) : null;
        String type = text(o, "token_type");
        String scope = text(o, "scope");
        AccessToken t = token(Secret.of(access), refresh == null ? null : Secret.of(refresh), expiresAt, refreshExpiresAt, now);
        return new AccessToken(t.value(), type == null ? t.tokenType() : type, t.issuedAt(), t.expiresAt(),
                scope == null ? Set.of() : Set.copyOf(Arrays.asList(scope.trim().split("\\s+"))),
                t.refreshToken().orElse(null), t.refreshTokenExpiresAt().orElse(null));
    }

    private static String text(JsonObject o, String name) {
        return o.getValue(name) instanceof String s && !s.isBlank() ? s : null;
    }

    private static AccessToken token(Secret access, Secret refresh, Instant expiresAt, Instant refreshExpiresAt, Instant now) {
        Instant expiry = expiresAt != null ? expiresAt : jwtExpiry(access.reveal());
        Instant issuedAt = now;
        if (expiry == null) {
            if (refresh == null) {
                throw new ConfigurationException("import: the access token's expiry is unknown (not a JWT with exp, and "
                        + "no expires_in/expires_at or access-token-expires-at given) and there is no refresh token");
            }
            expiry = now; // unknown: refresh with the refresh token on first use
        }
        if (!expiry.isAfter(issuedAt)) {
            issuedAt = expiry.minusSeconds(1); // already expired: kept for its refresh token, never served
        }
        if (refresh != null && refreshExpiresAt == null) {
            // as for a refresh token the server sent without refresh_expires_in: kept, sealed, this long
            refreshExpiresAt = now.plus(TokenManager.DEFAULT_REFRESH_TOKEN_LIFETIME);
        }
        return new AccessToken(access, "Bearer", issuedAt, expiry, Set.of(), refresh, refreshExpiresAt);
    }

    /** The {@code exp} claim of a JWT, or null if the token is not a JWT with one. No signature check: it is only a date. */
    static Instant jwtExpiry(String token) {
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) {
            return null;
        }
        try {
            JsonObject claims = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
            return claims.getValue("exp") instanceof Number n ? Instant.ofEpochSecond(n.longValue()) : null;
        } catch (IllegalArgumentException | DecodeException | ClassCastException e) {
            return null;
        }
    }

    /** For messages: never a value. */
    @Override
    public String toString() {
        return "TokenImport[refreshToken=" + (refreshToken != null) + ", expiresAt=" + expiresAt + "]";
    }

}
