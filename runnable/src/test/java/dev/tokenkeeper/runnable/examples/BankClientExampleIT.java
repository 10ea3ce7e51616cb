package dev.tokenkeeper.runnable.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.fakeidp.FakeIdp;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code examples/5-bank-client}: a cached token with a 300 s buffer, its acquisition logged, and
 * the refresh point shown by {@code status}.
 */
class BankClientExampleIT {

    @TempDir
    Path work;

    final FakeIdp idp = FakeIdp.start().issueTokens(Duration.ofHours(1));
    final String secret = "bank-secret-" + UUID.randomUUID();

    @AfterEach
    void stop() {
        idp.close();
    }

    @Test
    @DisplayName("one request for two calls; the acquisition logged once; refresh_at = expires_at - 30 s - 300 s")
    void bankClient() {
        ExampleRun.Result r = ExampleRun.run("5-bank-client", work, Map.of(
                "OAUTH_TOKEN_URL", idp.tokenUri().toString(), "OAUTH_CLIENT_ID", "riksbank", "OAUTH_CLIENT_SECRET", secret));

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(idp.requestCount()).isEqualTo(1);
        assertThat(r.stderr().split("token acquired", -1)).as("one acquisition logged").hasSize(2);
        JsonObject status = new JsonObject(r.stdout().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow());
        Instant expiresAt = Instant.parse(status.getString("expires_at"));
        Instant refreshAt = Instant.parse(status.getString("refresh_at"));
        assertThat(Duration.between(refreshAt, expiresAt)).isEqualTo(Duration.ofSeconds(330));
        assertThat(r.stdout() + r.stderr()).doesNotContain(secret).doesNotContain(idp.issuedTokens().get(0));
    }
}
