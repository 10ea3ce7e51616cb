package dev.tokenkeeper.runnable.sidecar;

import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.api.TokenStatus;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * The one JSON shape of a client's token status, written by the sidecar's {@code /auth/status} and
 * by {@code tokenkeeper status --json} alike, so that a script reads both the same way:
 *
 * <pre>
 * {"client":"alpha","has_token":true,"expires_at":"2026-01-01T10:00:00Z","expires_in_seconds":3540,
 *  "is_valid":true,"refresh_at":"2026-01-01T09:59:00Z","freshness":"fresh","source":"idp",
 *  "last_error":null,"circuit":"closed","is_expired":false,"needs_refresh":false}
 * </pre>
 *
 * <p>Enumerations are lower case ({@code freshness}, {@code source}, {@code circuit}), except
 * {@code last_error}, a {@link dev.tokenkeeper.domain.FailureKind} name as logs and metrics spell
 * it. Never a token. Stateless and thread-safe.
 */
public final class StatusDocument {

    /** The keys of every client object, in order. */
    public static final java.util.List<String> KEYS = java.util.List.of("client", "has_token", "expires_at",
            "expires_in_seconds", "is_valid", "refresh_at", "freshness", "source", "last_error", "circuit",
            "is_expired", "needs_refresh");

    /**
     * The keys of the one-client document ({@code /auth/status/{client}}), exactly the shape the
     * service spec's callers read (issue 12): nothing more, so that a strict client parses it.
     */
    public static final java.util.List<String> SINGLE_KEYS = java.util.List.of("has_token", "expires_at",
            "expires_in_seconds", "is_valid");

    private StatusDocument() {}

    /**
     * The status of one client.
     *
     * @param status what the manager knows of the client's token
     * @param circuit the breaker state around the client's token endpoint
     * @param now the instant {@code expires_in_seconds} counts from
     */
    public static JsonObject client(TokenStatus status, TokenEvent.CircuitState circuit, Instant now) {
        boolean held = status.hasToken();
        Long secondsLeft = held && status.expiresAt() != null
                ? Math.max(0, Duration.between(now, status.expiresAt()).toSeconds())
                : null;
        return new JsonObject()
                .put("client", status.key().client())
                .put("has_token", held)
                .put("expires_at", held && status.expiresAt() != null ? status.expiresAt().toString() : null)
                .put("expires_in_seconds", secondsLeft)
                .put("is_valid", status.isValid())
                .put("refresh_at", held && status.refreshAt() != null ? status.refreshAt().toString() : null)
                .put("freshness", lower(status.freshness()))
                .put("source", lower(status.source()))
                .put("last_error", status.lastError() == null ? null : status.lastError().name())
                .put("circuit", lower(circuit))
                .put("is_expired", status.isExpired())
                .put("needs_refresh", status.needsRefresh());
    }

    /** One client in the service spec's shape: {@code has_token, expires_at, expires_in_seconds, is_valid}. */
    public static JsonObject single(TokenStatus status, Instant now) {
        JsonObject full = client(status, TokenEvent.CircuitState.CLOSED, now);
        JsonObject single = new JsonObject();
        SINGLE_KEYS.forEach(k -> single.put(k, full.getValue(k)));
        return single;
    }

    private static String lower(Enum<?> e) {
        return e == null ? null : e.name().toLowerCase(Locale.ROOT);
    }
}
