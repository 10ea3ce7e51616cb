package dev.tokenkeeper.domain;

import java.util.Locale;

/**
 * Why getting a token failed. Each kind is either <em>permanent</em> (retrying the same request
 * cannot help: fail fast) or <em>transient</em> (the same request may succeed later: retry with
 * backoff, under a circuit breaker).
 */
public enum FailureKind {
    /** RFC 6749 {@code invalid_client}: the client id or secret is wrong. */
    INVALID_CLIENT(false),
    /** RFC 6749 {@code unauthorized_client}: the client may not use this grant. */
    UNAUTHORIZED_CLIENT(false),
    /** RFC 6749 {@code invalid_scope}. */
    INVALID_SCOPE(false),
    /** RFC 6749 {@code invalid_grant}: e.g. a refresh token that is expired or revoked. */
    INVALID_GRANT(false),
    /** RFC 6749 {@code invalid_request}, or an RFC 8707 {@code invalid_target}. */
    INVALID_REQUEST(false),
    /** RFC 6749 {@code unsupported_grant_type}. */
    UNSUPPORTED_GRANT_TYPE(false),
    /** Another 4xx answer, or an error code this library does not know. */
    REJECTED(false),
    /** The configuration cannot work (bad URL, missing secret, insecure transport). */
    BAD_CONFIGURATION(false),
    /** The server answered, but not with a usable token response (bad JSON, missing fields, too large). */
    MALFORMED_RESPONSE(false),
    /** The connection failed or broke. */
    NETWORK(true),
    /** No answer within the configured timeout or deadline. */
    TIMEOUT(true),
    /** The server answered 5xx. */
    SERVER_ERROR(true),
    /** The server answered 429 (or 503 with Retry-After): slow down. */
    RATE_LIMITED(true),
    /** The circuit breaker around the token endpoint is open: no request was sent. */
    CIRCUIT_OPEN(true),
    /** The token store could not be reached. */
    STORE_UNAVAILABLE(true);

    private final boolean transientFailure;

    FailureKind(boolean transientFailure) {
        this.transientFailure = transientFailure;
    }

    /** Whether the same request may succeed if tried again later. */
    public boolean isTransient() {
        return transientFailure;
    }

    /**
     * The kind for an RFC 6749 §5.2 {@code error} code (RFC 8707's {@code invalid_target} too);
     * unknown codes are {@link #REJECTED}.
     */
    public static FailureKind fromOAuthError(String code) {
        if (code == null) {
            return REJECTED;
        }
        return switch (code.toLowerCase(Locale.ROOT)) {
            case "invalid_client" -> INVALID_CLIENT;
            case "unauthorized_client" -> UNAUTHORIZED_CLIENT;
            case "invalid_scope" -> INVALID_SCOPE;
            case "invalid_grant" -> INVALID_GRANT;
            case "invalid_request", "invalid_target" -> INVALID_REQUEST;
            case "unsupported_grant_type" -> UNSUPPORTED_GRANT_TYPE;
            case "temporarily_unavailable" -> SERVER_ERROR;
            case "slow_down" -> RATE_LIMITED;
            default -> REJECTED;
        };
    }
}
