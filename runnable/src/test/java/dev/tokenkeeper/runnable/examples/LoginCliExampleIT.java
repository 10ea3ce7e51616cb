package dev.tokenkeeper.runnable.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.fakeidp.FakeIdp.Response;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code examples/3-login-cli}: JSON login, refresh refused with invalid_grant, silent login again,
 * and the token kept across CLI processes, against the fake IdP answering as a login API would.
 */
class LoginCliExampleIT {

    @TempDir
    Path work;

    final FakeIdp idp = FakeIdp.start();
    final String password = "cidx-" + UUID.randomUUID();

    @AfterEach
    void stop() {
        idp.close();
    }

    @Test
    @DisplayName("login, then (after expiry) refresh refused with invalid_grant and a login again, then reuse in a new process")
    void loginReauthenticateAndKeep() {
        idp.respondWith(
                Response.json(200, "{\"access_token\":\"tok-a-" + UUID.randomUUID() + "\",\"expires_in\":2,"
                        + "\"refresh_token\":\"rt-" + UUID.randomUUID() + "\"}"),
                Response.error(400, "invalid_grant", "refresh token revoked"),
                Response.json(200, "{\"access_token\":\"tok-b-" + UUID.randomUUID() + "\",\"expires_in\":3600}"));

        ExampleRun.Result r = ExampleRun.run("3-login-cli", work, Map.of(
                "LOGIN_URL", idp.uri("/api/auth/login").toString(), "TOKEN_URL", idp.uri("/oauth/token").toString(),
                "CIDX_USER", "alice", "CIDX_PASSWORD", password));

        assertThat(r.exit()).as(r.toString()).isZero();
        List<FakeIdp.RecordedRequest> requests = idp.requests();
        assertThat(requests).extracting(FakeIdp.RecordedRequest::path)
                .as("login, refused refresh, login again; the third process asks nothing")
                .containsExactly("/api/auth/login", "/oauth/token", "/api/auth/login");
        assertThat(new JsonObject(requests.get(2).body()).getString("password")).isEqualTo(password);
        assertThat(requests.get(1).form()).containsEntry("grant_type", "refresh_token");
        assertThat(r.stdout() + r.stderr()).doesNotContain(password).doesNotContain("tok-a-").doesNotContain("tok-b-");
    }
}
