package dev.tokenkeeper.runnable.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.fakeidp.FakeIdp;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code examples/4-scopes-fallback}: {@code token --scope A} and {@code --scope B} give two cached
 * tokens; during an IdP outage a cached scope is still served its token and a scope without one
 * gets the API key (a WARN each time); {@code --debug} shows the attempts and no secret.
 */
class ScopesFallbackExampleIT {

    @TempDir
    Path work;

    final FakeIdp idp = FakeIdp.start().issueTokens(Duration.ofHours(1));
    final String secret = "km-secret-" + UUID.randomUUID();
    final String apiKey = "km-api-key-" + UUID.randomUUID();

    @AfterEach
    void stop() {
        idp.close();
    }

    @Test
    @DisplayName("two scopes, two tokens; the API key only for a scope that has no token while the IdP is down")
    void scopesAndFallback() throws Exception {
        Path down = work.resolve("idp-down");
        Thread harness = new Thread(() -> {
            // the script asks for the outage by creating the file and waits for the acknowledgement
            try {
                while (!Files.exists(down)) {
                    Thread.sleep(20); // real time: another process decides when
                }
                idp.down(true);
                Files.writeString(work.resolve("idp-down.ack"), "down");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        harness.setDaemon(true);
        harness.start();

        ExampleRun.Result r = ExampleRun.run("4-scopes-fallback", work, Map.of(
                "TOKEN_URL", idp.tokenUri().toString(), "CLIENT_ID", "km-cli", "KM_CLIENT_SECRET", secret,
                "KM_API_KEY", apiKey,
                "TAKE_IDP_DOWN", "touch '" + down + "' && while [ ! -f '" + down + ".ack' ]; do sleep 0.05; done"));
        harness.interrupt();

        assertThat(r.exit()).as(r.toString()).isZero();
        List<String> scopes = idp.requests().stream().map(q -> q.form().get("scope")).toList();
        // (a slow first answer may be retried by its process: count scopes, not requests)
        assertThat(scopes.subList(0, scopes.indexOf("admin")).stream().distinct().toList())
                .as("before the outage, only the two scopes were asked for: the third process reused its token")
                .containsExactly("monitoring", "plugins");
        assertThat(scopes).as("the cached scope was never asked for during the outage")
                .containsSubsequence("admin", "reports");
        assertThat(scopes.subList(scopes.indexOf("admin"), scopes.size())).doesNotContain("plugins", "monitoring");
        assertThat(r.stderr()).as("a WARN each time the API key was handed out")
                .containsPattern("(?s)static fallback credential was used.*static fallback credential was used");
        assertThat(r.stderr()).as("--debug shows the attempts").contains("AttemptFailed").contains("AcquisitionStarted");
        assertThat(r.stdout() + r.stderr()).doesNotContain(secret).doesNotContain(apiKey);
        for (String token : idp.issuedTokens()) {
            assertThat(r.stdout() + r.stderr()).doesNotContain(token);
        }
    }
}
