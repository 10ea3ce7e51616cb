package dev.tokenkeeper.adapter.http;

import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.TokenException;
import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.TimeoutException;

/** Turns HTTP error answers and transport failures into {@link TokenException}s. Stateless. */
final class HttpFailures {

    private HttpFailures() {}

    /**
     * An RFC 6749 §5.2 error answer (or any non-2xx one).
     *
     * @param what what was attempted, e.g. "token request"
     * @param url where, as {@link EndpointConfig#display}
     */
    static TokenException errorResponse(String what, String url, int status, String retryAfterHeader, Buffer body,
            Redactor redactor, InstantSource clock) {
        String code = null;
        String description = null;
        JsonObject json = jsonObjectOrNull(body);
        if (json != null) {
            if (json.getValue("error") instanceof String s && !s.isBlank()) {
                code = redactor.sanitize(s, 64);
            }
            if (json.getValue("error_description") instanceof String s && !s.isBlank()) {
                description = redactor.sanitize(s);
            }
        }
        Duration retryAfter = retryAfter(retryAfterHeader, clock);
        FailureKind kind;
        if (status == 429) {
            kind = FailureKind.RATE_LIMITED;
        } else if (status == 503 && retryAfter != null) {
            kind = FailureKind.RATE_LIMITED; // the server says when to come back: a rate limit, not a fault
        } else if (status >= 500) {
            kind = FailureKind.SERVER_ERROR;
        } else if (status == 401) {
            kind = clientAuthentication(code);
        } else if (status >= 400) {
            kind = FailureKind.fromOAuthError(code);
        } else if (status >= 200 && status < 300 && code != null) {
            kind = FailureKind.fromOAuthError(code); // a 200 carrying an error body, as some servers send
        } else {
            kind = FailureKind.REJECTED; // e.g. a redirect, which is never followed with credentials
        }
        StringBuilder m = new StringBuilder(what).append(" to ").append(url).append(" failed: HTTP ").append(status);
        if (code != null) {
            m.append(' ').append(code);
        }
        if (description != null) {
            m.append(" (").append(description).append(')');
        }
        if (retryAfter != null) {
            m.append("; retry after ").append(retryAfter.toSeconds()).append(" s");
        }
        m.append(hint(kind));
        return new TokenException(kind, m.toString(), null, retryAfter, status, code);
    }

    /** A failure to get any answer: connection refused or reset, timeouts, DNS. */
    static TokenException transport(String what, String url, Throwable cause, Redactor redactor) {
        Throwable c = cause;
        FailureKind kind;
        String why;
        if (c instanceof ConnectTimeoutException) { // a ConnectException, so tested first
            kind = FailureKind.TIMEOUT;
            why = "no connection within the connect timeout";
        } else if (c instanceof TimeoutException) {
            kind = FailureKind.TIMEOUT;
            why = "no answer within the timeout";
        } else if (c instanceof ConnectException) {
            kind = FailureKind.NETWORK;
            why = "connection refused";
        } else if (c instanceof UnknownHostException) {
            kind = FailureKind.NETWORK;
            why = "unknown host";
        } else {
            kind = FailureKind.NETWORK;
            why = "connection failed or was closed";
        }
        String detail = c.getMessage() == null ? "" : ": " + redactor.sanitize(c.getMessage());
        return new TokenException(kind, what + " to " + url + " failed: " + why + " (" + c.getClass().getSimpleName()
                + detail + ")", c);
    }

    static TokenException deadline(String what, String url, Duration requestTimeout) {
        return new TokenException(FailureKind.TIMEOUT, what + " to " + url + " failed: no complete answer within "
                + "requestTimeout " + requestTimeout.toMillis() + " ms");
    }

    static TokenException tooLarge(String what, String url, int limit) {
        return new TokenException(FailureKind.MALFORMED_RESPONSE, what + " to " + url + " failed: the response body is "
                + "larger than maxResponseBytes " + limit + "; it was not read further");
    }

    /**
     * The {@code Retry-After} header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, as a
     * non-negative duration; null when absent or unreadable.
     */
    static Duration retryAfter(String header, InstantSource clock) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String v = header.strip();
        if (v.chars().allMatch(Character::isDigit)) {
            try {
                return Duration.ofSeconds(Long.parseLong(v));
            } catch (NumberFormatException e) {
                return null; // more digits than a long holds
            }
        }
        try {
            Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            Duration d = Duration.between(clock.instant(), at);
            return d.isNegative() ? Duration.ZERO : d;
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** The body as a JSON object, or null if it is not one. Decoding errors are dropped: they quote the body. */
    static JsonObject jsonObjectOrNull(Buffer body) {
        if (body == null || body.length() == 0) {
            return null;
        }
        try {
            return Json.decodeValue(body) instanceof JsonObject o ? o : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * The kind of a 401: RFC 6749 §5.2 gives that status to failed client authentication only, so
     * a 401 is {@link FailureKind#INVALID_CLIENT} whatever code comes with it when the code means
     * nothing more specific: none, {@code invalid_client}, {@code unauthorized_client} (Keycloak's
     * answer to a wrong secret) or an unknown one (Auth0 sends {@code access_denied}).
     */
    private static FailureKind clientAuthentication(String code) {
        FailureKind kind = FailureKind.fromOAuthError(code);
        return kind == FailureKind.UNAUTHORIZED_CLIENT || kind == FailureKind.REJECTED ? FailureKind.INVALID_CLIENT : kind;
    }

    private static String hint(FailureKind kind) {
        return switch (kind) {
            case INVALID_CLIENT -> "; the identity provider rejected the client authentication: check the client id, the "
                    + "client secret (rotated or expired at the IdP? stray whitespace?) and the client authentication "
                    + "method (client_secret_basic or client_secret_post; for client_secret_jwt, private_key_jwt and mTLS also "
                    + "the key, certificate and algorithm registered at the IdP)";
            case UNAUTHORIZED_CLIENT -> "; the client may not use this grant, or the identity provider does not know it: "
                    + "check the client id and that its registration allows this grant (for client_credentials, a "
                    + "confidential client with service accounts enabled)";
            case UNSUPPORTED_GRANT_TYPE -> "; the identity provider does not support this grant type, or has not enabled "
                    + "it for this client";
            case INVALID_SCOPE -> "; the client may not request these scopes";
            default -> "";
        };
    }
}
