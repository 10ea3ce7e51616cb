package dev.tokenkeeper.adapter.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.util.Base64;
import java.util.Optional;

/**
 * Reads the header and payload of a compact JWS (three base64url parts). Verifies nothing: the
 * adapter only reads {@code exp} to learn a lifetime the server did not state, and {@code alg} for
 * the optional shape validator. Any decoding problem yields empty, never an exception that could
 * quote the token.
 */
final class Jwt {

    private Jwt() {}

    static boolean hasThreeParts(String token) {
        int first = token.indexOf('.');
        if (first <= 0) {
            return false;
        }
        int second = token.indexOf('.', first + 1);
        return second > first + 1 && token.indexOf('.', second + 1) < 0;
    }

    static Optional<JsonObject> header(String token) {
        return part(token, 0);
    }

    static Optional<JsonObject> payload(String token) {
        return part(token, 1);
    }

    /** A claim holding a number of seconds since the epoch, if present and numeric. */
    static Optional<Long> numericDate(JsonObject claims, String name) {
        Object value = claims.getValue(name);
        if (value instanceof Number n) {
            double d = n.doubleValue();
            if (Double.isFinite(d) && d > 0 && d < 1e15) {
                return Optional.of(n.longValue());
            }
        }
        return Optional.empty();
    }

    private static Optional<JsonObject> part(String token, int index) {
        if (!hasThreeParts(token)) {
            return Optional.empty();
        }
        try {
            String[] parts = token.split("\\.", 3);
            byte[] json = Base64.getUrlDecoder().decode(parts[index]);
            Object decoded = Json.decodeValue(Buffer.buffer(json));
            return decoded instanceof JsonObject o ? Optional.of(o) : Optional.empty();
        } catch (RuntimeException e) {
            return Optional.empty(); // not a JWT after all: an opaque token that happens to hold two dots
        }
    }
}
