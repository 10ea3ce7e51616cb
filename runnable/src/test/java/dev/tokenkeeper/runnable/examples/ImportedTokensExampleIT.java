package dev.tokenkeeper.runnable.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.fakeidp.FakeIdp;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
 * {@code examples/1-imported-tokens}: a token pair obtained elsewhere is imported, refreshed with the
 * refresh-token grant and kept across processes, against a real token endpoint (the fake IdP,
 * which honours each refresh token it issued once).
 */
class ImportedTokensExampleIT {

    @TempDir
    Path work;

    final FakeIdp idp = FakeIdp.start().alwaysRespond(FakeIdp.Response.tokensWithRefresh(Duration.ofHours(1)));
    final String clientId = "axiom-" + UUID.randomUUID();
    /** The login UI's own client secret: tokenkeeper never has it (a public client refreshes). */
    final String secret = "axiom-secret-" + UUID.randomUUID();

    @AfterEach
    void stop() {
        idp.close();
    }

    /** What "the login UI" obtained: a real pair from the IdP, so that its refresh token is honoured. */
    JsonObject login() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(idp.tokenUri())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&client_id=" + clientId
                        + "&client_secret=" + secret))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return new JsonObject(r.body());
    }

    @Test
    @DisplayName("imported, then refreshed once with the imported refresh token, then reused by a later process")
    void importedThenRefreshedAcrossProcesses() throws Exception {
        JsonObject login = login();
        String access = login.getString("access_token");
        String refresh = login.getString("refresh_token");
        idp.resetCounts();

        ExampleRun.Result r = ExampleRun.run("1-imported-tokens", work, Map.of(
                "TOKEN_URL", idp.tokenUri().toString(), "CLIENT_ID", clientId,
                "LOGIN_ACCESS_TOKEN", access, "LOGIN_REFRESH_TOKEN", refresh));

        assertThat(r.exit()).as(r.toString()).isZero();
        List<FakeIdp.RecordedRequest> requests = idp.requests();
        assertThat(idp.requestCount()).as("one request after the import, over three processes").isEqualTo(1);
        assertThat(requests).hasSize(1);
        assertThat(requests.get(0).form()).containsEntry("grant_type", "refresh_token").containsEntry("refresh_token", refresh)
                .containsEntry("client_id", clientId).doesNotContainKey("client_secret");
        assertThat(requests.get(0).header("Authorization")).as("a public client sends no credentials").isNull();
        JsonObject status = new JsonObject(r.stdout().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow());
        assertThat(status.getBoolean("has_token")).isTrue();
        assertThat(status.getBoolean("is_expired")).isFalse();
        assertThat(status.getBoolean("needs_refresh")).isFalse();
        assertThat(status.getString("refresh_at")).isNotNull();
        assertThat(r.stdout() + r.stderr()).as("the example prints no secret")
                .doesNotContain(secret).doesNotContain(access).doesNotContain(refresh)
                .doesNotContain(idp.issuedTokens().get(idp.issuedTokens().size() - 1));
    }
}
