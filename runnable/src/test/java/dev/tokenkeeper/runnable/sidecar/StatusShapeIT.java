package dev.tokenkeeper.runnable.sidecar;

import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.bootstrap.Settings;
import dev.tokenkeeper.fakeidp.FakeIdp.Response;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.runnable.cli.TokenkeeperCli;
import dev.tokenkeeper.testsupport.Await;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Issue 16: {@code tokenkeeper status --json} said {@code "source":"IDP"} where the sidecar said
 * {@code "idp"}, and lacked {@code freshness} and {@code circuit}. Both now write
 * {@link StatusDocument}: the same keys and the same spelling for the same state.
 */
class StatusShapeIT {

    final String secret = "status-shape-secret-" + UUID.randomUUID();
    final FakeIdp idp = FakeIdp.start();
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    final Map<String, String> env = new HashMap<>(Map.of(
            "OAUTH_TOKEN_URL", idp.tokenUri().toString(),
            "OAUTH_CLIENT_ID", "shape-client",
            "OAUTH_CLIENT_SECRET", secret,
            "TOKENKEEPER_STORE", "memory",
            "TOKENKEEPER__RESILIENCE__ATTEMPTS", "1",
            "TOKENKEEPER__SIDECAR__PORT", "0"));

    @AfterEach
    void stop() {
        idp.close();
    }

    @Test
    @DisplayName("a client holding a token: the CLI and the sidecar write the same keys and values")
    void holdingAToken() throws Exception {
        idp.issueTokens(Duration.ofHours(1));
        JsonObject cli = cliStatus(TokenkeeperCli.OK);
        JsonObject sidecar = sidecarStatus(c -> c.getBoolean("is_valid"));
        assertSameShape(cli, sidecar);
        assertThat(cli.getString("source")).isEqualTo("idp");
        assertThat(cli.getString("freshness")).isEqualTo("fresh");
        assertThat(cli.getString("circuit")).isEqualTo("closed");
        assertThat(cli.getString("client")).isEqualTo("default");
    }

    @Test
    @DisplayName("a client the IdP refuses: the same keys, last_error INVALID_CLIENT in both")
    void refused() throws Exception {
        idp.alwaysRespond(Response.json(401, "{\"error\":\"invalid_client\"}"));
        JsonObject cli = cliStatus(TokenkeeperCli.NO_TOKEN);
        JsonObject sidecar = sidecarStatus(c -> c.getValue("last_error") != null);
        assertSameShape(cli, sidecar);
        assertThat(cli.getString("last_error")).isEqualTo("INVALID_CLIENT");
        assertThat(cli.getValue("source")).isNull();
    }

    @Test
    @DisplayName("issue 12: /auth/status/{client} is exactly {has_token, expires_at, expires_in_seconds, is_valid}; an unknown client is 404")
    void singleClientShape() throws Exception {
        idp.issueTokens(Duration.ofHours(1));
        try (Sidecar sidecar = Sidecar.launch(TokenkeeperConfig.from(Settings.load(null, env)), InstantSource.system())) {
            Await.until("the sidecar holds a token", () -> sidecarClient(sidecar).getBoolean("is_valid"));
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(sidecar.uri().resolve("/auth/status/default"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            JsonObject single = new JsonObject(r.body());
            assertThat(single.fieldNames()).containsExactlyInAnyOrder("has_token", "expires_at", "expires_in_seconds", "is_valid");
            assertThat(single.getBoolean("has_token")).isTrue();
            assertThat(single.getBoolean("is_valid")).isTrue();
            assertThat(single.getLong("expires_in_seconds")).isBetween(3500L, 3600L);
            assertThat(java.time.Instant.parse(single.getString("expires_at"))).isAfter(java.time.Instant.now());
            assertThat(r.body()).doesNotContain(secret).doesNotContain(idp.issuedTokens().get(0));

            HttpResponse<String> unknown = http.send(HttpRequest.newBuilder(sidecar.uri().resolve("/auth/status/nobody"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(unknown.statusCode()).isEqualTo(404);
            assertThat(unknown.body()).doesNotContain("nobody");
        }
    }

    static void assertSameShape(JsonObject cli, JsonObject sidecar) {
        assertThat(cli.fieldNames()).containsExactlyInAnyOrderElementsOf(StatusDocument.KEYS);
        assertThat(sidecar.fieldNames()).containsExactlyInAnyOrderElementsOf(StatusDocument.KEYS);
        for (String key : List.of("client", "has_token", "is_valid", "freshness", "source", "last_error", "circuit",
                "is_expired", "needs_refresh")) {
            assertThat(cli.getValue(key)).as(key).isEqualTo(sidecar.getValue(key));
        }
    }

    JsonObject cliStatus(int expectedExit) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream before = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = TokenkeeperCli.run(env, "status", "--json");
        } finally {
            System.setOut(before);
        }
        String printed = out.toString(StandardCharsets.UTF_8).strip();
        assertThat(code).as(printed).isEqualTo(expectedExit);
        assertThat(printed).doesNotContain(secret).doesNotContain("\n");
        return new JsonObject(printed);
    }

    JsonObject sidecarStatus(Predicate<JsonObject> ready) throws IOException, InterruptedException {
        try (Sidecar sidecar = Sidecar.launch(TokenkeeperConfig.from(Settings.load(null, env)), InstantSource.system())) {
            Await.until("the sidecar's status reached the state", () -> ready.test(sidecarClient(sidecar)));
            return sidecarClient(sidecar);
        }
    }

    JsonObject sidecarClient(Sidecar sidecar) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(sidecar.uri().resolve("/auth/status"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.body()).doesNotContain(secret);
            return new JsonObject(r.body()).getJsonObject("clients").getJsonObject("default");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
