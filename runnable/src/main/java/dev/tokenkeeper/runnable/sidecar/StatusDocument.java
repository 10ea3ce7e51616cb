package dev.tokenkeeper.runnable.sidecar;

import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.api.TokenStatus;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

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
        return new JsonObject(fields(status, circuit, now));
    }

    /**
     * The same document as an ordered map of strings, booleans, longs and nulls: for the command
     * line, whose cache hit prints it without loading Vert.x ({@link #encode}).
     */
    public static Map<String, Object> fields(TokenStatus status, TokenEvent.CircuitState circuit, Instant now) {
        boolean held = status.hasToken();
        Long secondsLeft = held && status.expiresAt() != null
                ? Math.max(0, Duration.between(now, status.expiresAt()).toSeconds())
                : null;
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("client", status.key().client());
        doc.put("has_token", held);
        doc.put("expires_at", held && status.expiresAt() != null ? status.expiresAt().toString() : null);
        doc.put("expires_in_seconds", secondsLeft);
        doc.put("is_valid", status.isValid());
        doc.put("refresh_at", held && status.refreshAt() != null ? status.refreshAt().toString() : null);
        doc.put("freshness", lower(status.freshness()));
        doc.put("source", lower(status.source()));
        doc.put("last_error", status.lastError() == null ? null : status.lastError().name());
        doc.put("circuit", lower(circuit));
        doc.put("is_expired", status.isExpired());
        doc.put("needs_refresh", status.needsRefresh());
        return doc;
    }

    /**
     * {@link #fields} as one line of JSON, as {@link JsonObject#encode()} writes it: the values are
     * only ever strings, booleans, numbers and nulls, so this flat encoder is all it takes.
     */
    public static String encode(Map<String, Object> fields) {
        StringBuilder b = new StringBuilder(256).append('{');
        for (Map.Entry<String, Object> e : fields.entrySet()) {
            if (b.length() > 1) {
                b.append(',');
            }
            string(b, e.getKey()).append(':');
            Object v = e.getValue();
            if (v == null || v instanceof Boolean || v instanceof Number) {
                b.append(v);
            } else {
                string(b, v.toString());
            }
        }
        return b.append('}').toString();
    }

    private static StringBuilder string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"');
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
