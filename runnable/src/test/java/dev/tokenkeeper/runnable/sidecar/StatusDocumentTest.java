package dev.tokenkeeper.runnable.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.Freshness;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.api.TokenStatus;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The command line's flat encoder writes exactly what Vert.x writes for the sidecar. */
class StatusDocumentTest {

    @Test
    @DisplayName("encode(fields) equals JsonObject.encode() for held, empty and failed statuses")
    void sameAsVertx() {
        Instant now = Instant.parse("2026-12-01T10:00:00Z");
        TokenKey key = TokenKey.builder("alpha").build();
        for (TokenStatus s : new TokenStatus[] {
            new TokenStatus(key, Freshness.FRESH, now.plusSeconds(3600), now.plusSeconds(3000), TokenStatus.Source.STORE, null),
            new TokenStatus(key, Freshness.EXPIRED, null, null, null, FailureKind.INVALID_CLIENT)}) {
            Map<String, Object> fields = StatusDocument.fields(s, TokenEvent.CircuitState.OPEN, now);
            assertThat(StatusDocument.encode(fields)).isEqualTo(StatusDocument.client(s, TokenEvent.CircuitState.OPEN, now).encode());
            assertThat(fields.keySet()).containsExactlyElementsOf(StatusDocument.KEYS);
        }
    }

    @Test
    @DisplayName("strings with quotes, backslashes and control characters are escaped as Vert.x escapes them")
    void escaping() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a\"b", "q\"uote \\ back\nnew\tline\u0001");
        m.put("n", 42); // Vert.x reads small numbers back as Integer
        m.put("z", null);
        assertThat(new JsonObject(StatusDocument.encode(m)).getMap()).isEqualTo(m);
    }
}
