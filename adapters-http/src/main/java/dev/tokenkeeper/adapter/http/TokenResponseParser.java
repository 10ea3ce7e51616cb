package dev.tokenkeeper.adapter.http;

import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.spi.TokenResponse;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Validates a successful (2xx) token response body (RFC 6749 §5.1) and resolves the token's
 * lifetime: {@code expires_in}, else the JWT {@code exp} minus now, else the configured default.
 * Immutable and thread-safe. Messages quote no token: only field names, numbers and types.
 */
final class TokenResponseParser {

    private static final Redactor TEXT = Redactor.of(Set.of());

    private final EndpointConfig config;

    TokenResponseParser(EndpointConfig config) {
        this.config = config;
    }

    /**
     * @param what what was attempted, e.g. "token request"
     * @param url where, as {@link EndpointConfig#display}
     * @throws TokenException of kind MALFORMED_RESPONSE, or the kind of an {@code error} in the body
     */
    TokenResponse parse(String what, String url, int status, Buffer body, Redactor redactor) {
        String prefix = what + " to " + url;
        if (body == null || body.length() == 0) {
            throw malformed(prefix, "the response body is empty");
        }
        JsonObject json = HttpFailures.jsonObjectOrNull(body);
        if (json == null) {
            throw malformed(prefix, "the response body is not a JSON object");
        }
        // the tokens of this very answer are secrets too, should any other field echo them
        Redactor safe = redactor.with(stringValues(json, "access_token", "refresh_token", "id_token"));
        Object accessToken = json.getValue("access_token");
        if (accessToken == null && json.getValue("error") instanceof String) {
            // a 2xx answer carrying an RFC 6749 §5.2 error
            throw HttpFailures.errorResponse(what, url, status, null, body, safe, config.clock());
        }
        if (!(accessToken instanceof String token) || token.isEmpty()) {
            throw malformed(prefix, accessToken == null ? "access_token is missing"
                    : "access_token must be a non-empty string, was " + typeOf(accessToken));
        }
        if (!isVisibleAscii(token)) {
            // RFC 6749 A.12: 1*VSCHAR. Anything else could split an Authorization header downstream.
            throw malformed(prefix, "access_token has characters outside %x20-7E");
        }
        String tokenType = tokenType(prefix, json.getValue("token_type"), safe);
        Duration expiresIn = lifetime(prefix, json.getValue("expires_in"), token);
        Set<String> scopes = scopes(prefix, json.getValue("scope"));
        Secret refreshToken = refreshToken(prefix, json.getValue("refresh_token"));
        Duration refreshExpiresIn = refreshToken == null ? null : refreshLifetime(json.getValue("refresh_expires_in"));
        TokenResponse response =
                new TokenResponse(Secret.of(token), tokenType, expiresIn, scopes, refreshToken, refreshExpiresIn);
        TokenResponseValidator validator = config.validator();
        if (validator != null) {
            try {
                validator.validate(response);
            } catch (TokenException e) {
                throw e;
            } catch (RuntimeException e) {
                throw malformed(prefix, "the token response validator rejected it (" + e.getClass().getSimpleName() + ")");
            }
        }
        return response;
    }

    private static List<String> stringValues(JsonObject json, String... names) {
        List<String> values = new ArrayList<>();
        for (String name : names) {
            if (json.getValue(name) instanceof String s) {
                values.add(s);
            }
        }
        return values;
    }

    /** The token type of a response that does not name one. */
    static final String DEFAULT_TOKEN_TYPE = "Bearer";

    private String tokenType(String prefix, Object value, Redactor safe) {
        if (value == null) {
            // RFC 6749 makes it required, but many IdPs and internal login APIs omit it and every
            // client library in the wild then assumes Bearer; a wrong type is still refused below
            return DEFAULT_TOKEN_TYPE;
        }
        if (!(value instanceof String type) || type.isBlank()) {
            throw malformed(prefix, "token_type must be a non-blank string, was " + typeOf(value));
        }
        if (!config.acceptedTokenTypes().contains(type)) {
            throw malformed(prefix, "token_type '" + safe.sanitize(type, 40) + "' is not accepted (accepted: "
                    + config.acceptedTokenTypes() + ")");
        }
        return type;
    }

    private Duration lifetime(String prefix, Object value, String token) {
        if (value == null) {
            return lifetimeWithoutExpiresIn(prefix, token);
        }
        BigDecimal seconds;
        if (value instanceof Number n) {
            try {
                seconds = new BigDecimal(n.toString());
            } catch (NumberFormatException e) {
                throw malformed(prefix, "expires_in must be a number of seconds");
            }
        } else if (value instanceof String s && s.strip().matches("-?\\d{1,19}")) {
            seconds = new BigDecimal(s.strip()); // some servers send it as a string
        } else {
            throw malformed(prefix, "expires_in must be a number of seconds, was " + typeOf(value));
        }
        long whole = seconds.signum() <= 0 ? 0 : seconds.min(BigDecimal.valueOf(Long.MAX_VALUE / 2)).longValue();
        if (whole <= 0) {
            throw malformed(prefix, "expires_in must be positive, was " + TEXT.sanitize(seconds.toPlainString(), 30));
        }
        return withinMaximum(prefix, "expires_in", whole);
    }

    /** The longest refresh token lifetime taken from a response; longer claims are cut to it. */
    static final Duration MAX_REFRESH_EXPIRES_IN = Duration.ofDays(3650);

    /**
     * The refresh token's lifetime from {@code refresh_expires_in} (not RFC 6749; Keycloak and others
     * send it), or null when absent, zero (Keycloak's "no expiry" for offline tokens) or not a
     * number: the manager then keeps the refresh token for its configured lifetime. Being an
     * extension, a bad value is ignored rather than failing an otherwise good token response.
     */
    static Duration refreshLifetime(Object value) {
        BigDecimal seconds;
        try {
            if (value instanceof Number n) {
                seconds = new BigDecimal(n.toString());
            } else if (value instanceof String s && s.strip().matches("\\d{1,19}")) {
                seconds = new BigDecimal(s.strip());
            } else {
                return null;
            }
        } catch (NumberFormatException e) {
            return null;
        }
        if (seconds.signum() <= 0) {
            return null;
        }
        long whole = seconds.min(BigDecimal.valueOf(MAX_REFRESH_EXPIRES_IN.toSeconds())).longValue();
        return whole <= 0 ? null : Duration.ofSeconds(whole);
    }

    private Duration lifetimeWithoutExpiresIn(String prefix, String token) {
        Long exp = Jwt.payload(token).flatMap(claims -> Jwt.numericDate(claims, "exp")).orElse(null);
        if (exp == null) {
            return config.defaultLifetime(); // opaque token, or a JWT without exp: assume the configured lifetime
        }
        Duration left = Duration.between(config.clock().instant(), Instant.ofEpochSecond(exp));
        if (left.isZero() || left.isNegative()) {
            throw malformed(prefix, "expires_in is missing and the JWT exp is not in the future (" + left.toSeconds()
                    + " s); check the clocks");
        }
        return withinMaximum(prefix, "the JWT exp", left.toSeconds() == 0 ? 1 : left.toSeconds());
    }

    private Duration withinMaximum(String prefix, String source, long seconds) {
        if (seconds > config.maxExpiresIn().toSeconds()) {
            throw malformed(prefix, "the lifetime from " + source + " (" + seconds + " s) exceeds maxExpiresIn ("
                    + config.maxExpiresIn().toSeconds() + " s)");
        }
        return Duration.ofSeconds(seconds);
    }

    private static Set<String> scopes(String prefix, Object value) {
        Set<String> scopes = new LinkedHashSet<>();
        if (value == null) {
            return scopes;
        }
        if (value instanceof String s) {
            for (String scope : s.split(" ")) {
                if (!scope.isEmpty()) {
                    scopes.add(scope);
                }
            }
            return scopes;
        }
        if (value instanceof JsonArray array) { // not RFC 6749, but sent by some servers
            for (Object o : array) {
                if (!(o instanceof String s)) {
                    throw malformed(prefix, "scope must be a space-separated string");
                }
                scopes.add(s);
            }
            return scopes;
        }
        throw malformed(prefix, "scope must be a space-separated string, was " + typeOf(value));
    }

    private static Secret refreshToken(String prefix, Object value) {
        if (value == null || "".equals(value)) {
            return null;
        }
        if (!(value instanceof String s)) {
            throw malformed(prefix, "refresh_token must be a string, was " + typeOf(value));
        }
        if (!isVisibleAscii(s)) {
            throw malformed(prefix, "refresh_token has characters outside %x20-7E");
        }
        return Secret.of(s);
    }

    private static boolean isVisibleAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c > 0x7E) {
                return false;
            }
        }
        return true;
    }

    private static String typeOf(Object value) {
        if (value instanceof String) {
            return "a string";
        }
        if (value instanceof Number) {
            return "a number";
        }
        if (value instanceof Boolean) {
            return "a boolean";
        }
        if (value instanceof JsonObject) {
            return "an object";
        }
        if (value instanceof JsonArray) {
            return "an array";
        }
        return "null";
    }

    private static TokenException malformed(String prefix, String why) {
        return new TokenException(FailureKind.MALFORMED_RESPONSE, prefix + " failed: " + why);
    }
}
