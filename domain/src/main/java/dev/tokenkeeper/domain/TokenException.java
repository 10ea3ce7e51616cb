package dev.tokenkeeper.domain;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Getting a token failed. {@link #kind()} says why and whether trying again can help; the message
 * says what to do and never contains a secret (client secret, token or refresh token): every
 * place that builds one takes care of that, and tests scan for it.
 *
 * <p>Immutable and thread-safe.
 */
public class TokenException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final FailureKind kind;
    private final Duration retryAfter;
    private final int httpStatus;
    private final String oauthError;

    /** A failure of {@code kind}, with a message that contains no secret. */
    public TokenException(FailureKind kind, String message) {
        this(kind, message, null, null, 0, null);
    }

    /** A failure of {@code kind} with its cause. */
    public TokenException(FailureKind kind, String message, Throwable cause) {
        this(kind, message, cause, null, 0, null);
    }

    /**
     * The full form.
     *
     * @param kind why it failed
     * @param message what happened and what to do, without any secret
     * @param cause the underlying exception, or null
     * @param retryAfter how long the server or breaker asked us to wait, or null
     * @param httpStatus the HTTP status of the answer, or 0 if there was none
     * @param oauthError the RFC 6749 {@code error} code, or null
     */
    public TokenException(
            FailureKind kind, String message, Throwable cause, Duration retryAfter, int httpStatus, String oauthError) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.kind = Objects.requireNonNull(kind, "kind");
        this.retryAfter = retryAfter;
        this.httpStatus = httpStatus;
        this.oauthError = oauthError;
    }

    /** Why it failed. */
    public FailureKind kind() {
        return kind;
    }

    /** Whether the same request may succeed later. */
    public boolean isTransient() {
        return kind.isTransient();
    }

    /** How long the server (Retry-After) or the circuit breaker asked callers to wait. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }

    /** The HTTP status of the token endpoint's answer, if there was one. */
    public OptionalInt httpStatus() {
        return httpStatus == 0 ? OptionalInt.empty() : OptionalInt.of(httpStatus);
    }

    /** The RFC 6749 {@code error} code the server sent, if any. */
    public Optional<String> oauthError() {
        return Optional.ofNullable(oauthError);
    }

    /**
     * What a future failed with, without the {@code CompletionException} and
     * {@code ExecutionException} wrappers that {@code join()}, {@code get()} and dependent stages put
     * around it. The one place that unwraps; returns {@code failure} itself when it is not wrapped.
     */
    public static Throwable unwrap(Throwable failure) {
        Throwable c = failure;
        while ((c instanceof java.util.concurrent.CompletionException || c instanceof java.util.concurrent.ExecutionException)
                && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    @Override
    public String toString() {
        return getClass().getName() + ": [" + kind + "] " + getMessage();
    }
}
