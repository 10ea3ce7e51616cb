package dev.tokenkeeper.runnable.sidecar;

import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.bootstrap.Settings;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.fakeidp.FakeIdp.Response;
import dev.tokenkeeper.testsupport.SecretScanner;
import dev.tokenkeeper.testsupport.TestClock;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Issue 16, item 9: {@code /health/ready} tells the truth. It used to answer 200 while a client had
 * no valid token, because a TCP connect to the IdP succeeded (a frozen IdP accepts connections) or
 * because it never looked at failed acquisitions (a rejected secret). Now a client is ready when it
 * holds a valid token, or its last acquisition succeeded and the IdP answers HTTP; the body names
 * each failing client and the failure kind, and probing never turns into a login storm.
 */
class SidecarReadinessIT {

    final SecretScanner scanner = new SecretScanner();
    final String alphaSecret = scanner.secret("readiness-alpha-secret-" + UUID.randomUUID());
    final String betaSecret = scanner.secret("readiness-beta-secret-" + UUID.randomUUID());
    final FakeIdp alphaIdp = FakeIdp.start();
    final FakeIdp betaIdp = FakeIdp.start();
    final CapturedLogs logs = new CapturedLogs();
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @AfterEach
    void stop() {
        alphaIdp.close(); // releases hanging answers first, so that closing the sidecar does not wait
        betaIdp.close();
        try {
            logs.saw("the sidecar's log lines and answers above");
            logs.assertNoneOf(List.of(alphaSecret, betaSecret));
            scanner.assertClean();
        } finally {
            logs.close();
            scanner.close();
        }
    }

    Sidecar launch(InstantSource clock, Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(Map.of(
                "clients.alpha.token-url", alphaIdp.tokenUri().toString(),
                "clients.alpha.client-id", "alpha",
                "clients.alpha.client-secret", alphaSecret,
                "clients.beta.token-url", betaIdp.tokenUri().toString(),
                "clients.beta.client-id", "beta",
                "clients.beta.client-secret", betaSecret,
                "store.type", "memory",
                "sidecar.port", "0"));
        settings.putAll(Map.of(
                "resilience.attempts", "1",
                "resilience.attempt-timeout", "30s", // longer than any test: a frozen answer stays frozen
                "resilience.deadline", "30s"));
        settings.putAll(extra);
        return Sidecar.launch(TokenkeeperConfig.from(Settings.of(settings)), clock);
    }

    @Test
    @DisplayName("healthy: both clients hold tokens, 200")
    void healthy() throws Exception {
        alphaIdp.issueTokens(Duration.ofHours(1));
        betaIdp.issueTokens(Duration.ofHours(1));
        try (Sidecar sidecar = launch(InstantSource.system(), Map.of())) {
            HttpResponse<String> ready = ready(sidecar);
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
            JsonObject clients = new JsonObject(ready.body()).getJsonObject("checks").getJsonObject("clients");
            assertThat(clients.getJsonObject("alpha").getString("status")).isEqualTo("UP");
            assertThat(clients.getJsonObject("beta").getString("check")).isEqualTo("valid_token");
        }
    }

    @Test
    @DisplayName("frozen IdP (accepts TCP, never answers): 503 naming the client and TIMEOUT; probes join the one "
            + "running acquisition instead of sending more")
    void frozenIdp() throws Exception {
        alphaIdp.issueTokens(Duration.ofHours(1));
        betaIdp.alwaysRespond(Response.hang());
        try (Sidecar sidecar = launch(InstantSource.system(), Map.of())) {
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> ready = ready(sidecar);
                assertThat(ready.statusCode()).as(ready.body()).isEqualTo(503);
                JsonObject body = new JsonObject(ready.body());
                assertThat(body.getString("failing")).isEqualTo("beta: TIMEOUT");
                JsonObject beta = body.getJsonObject("checks").getJsonObject("clients").getJsonObject("beta");
                assertThat(beta.getString("status")).isEqualTo("DOWN");
                assertThat(beta.getString("kind")).isEqualTo("TIMEOUT");
            }
            assertThat(betaIdp.requestCount()).as("one hanging acquisition, joined by every probe").isEqualTo(1);
            betaIdp.close(); // releases the hanging answer, so that closing the sidecar need not wait for it
        }
    }

    @Test
    @DisplayName("IdP rejecting the secret (invalid_client): 503 naming the client and INVALID_CLIENT; the probe sends "
            + "no token request after a failure")
    void rejectedSecret() throws Exception {
        alphaIdp.issueTokens(Duration.ofHours(1));
        betaIdp.alwaysRespond(Response.json(401, "{\"error\":\"invalid_client\",\"error_description\":\"bad secret\"}"));
        try (Sidecar sidecar = launch(InstantSource.system(), Map.of())) {
            for (int i = 0; i < 10; i++) {
                HttpResponse<String> ready = ready(sidecar);
                assertThat(ready.statusCode()).as(ready.body()).isEqualTo(503);
                JsonObject body = new JsonObject(ready.body());
                assertThat(body.getString("failing")).isEqualTo("beta: INVALID_CLIENT");
                JsonObject clients = body.getJsonObject("checks").getJsonObject("clients");
                assertThat(clients.getJsonObject("beta").getString("kind")).isEqualTo("INVALID_CLIENT");
                assertThat(clients.getJsonObject("alpha").getString("status")).isEqualTo("UP");
            }
            assertThat(betaIdp.requestCount()).as("ten probes, no login storm").isLessThanOrEqualTo(2);
        }
    }

    @Test
    @DisplayName("an expired token whose acquisition succeeded: ready while the IdP answers HTTP (a bare GET, no "
            + "credentials), 503 TIMEOUT once it freezes")
    void expiredTokenAfterSuccess() throws Exception {
        TestClock clock = TestClock.at(Instant.parse("2026-03-01T10:00:00Z"));
        alphaIdp.issueTokens(Duration.ofHours(1));
        betaIdp.issueTokens(Duration.ofHours(1));
        // neither keep-warm nor proactive refresh: only the probes themselves could ask for tokens
        try (Sidecar sidecar = launch(clock, Map.of("sidecar.keep-warm", "false", "refresh.proactive", "false"))) {
            HttpResponse<String> first = ready(sidecar);
            assertThat(first.statusCode()).as("never tried: the probe asks once, single-flight").isEqualTo(200);
            assertThat(alphaIdp.requestCount()).isEqualTo(1);

            clock.advance(Duration.ofHours(2));
            HttpResponse<String> answering = ready(sidecar);
            assertThat(answering.statusCode()).as(answering.body()).isEqualTo(200);
            assertThat(new JsonObject(answering.body()).getJsonObject("checks").getJsonObject("clients")
                    .getJsonObject("alpha").getString("check")).isEqualTo("idp_answers");
            FakeIdp.RecordedRequest probe = alphaIdp.lastRequest();
            assertThat(probe.method()).isEqualTo("GET");
            assertThat(probe.header("Authorization")).isNull();
            assertThat(probe.body()).isEmpty();

            alphaIdp.alwaysRespond(Response.hang());
            HttpResponse<String> frozen = ready(sidecar);
            assertThat(frozen.statusCode()).as(frozen.body()).isEqualTo(503);
            assertThat(new JsonObject(frozen.body()).getString("failing")).contains("alpha: TIMEOUT");
            assertThat(alphaIdp.requests()).filteredOn(r -> r.method().equals("POST")).as("token requests").hasSize(1);
        }
    }

    @Test
    @DisplayName("a store that does not answer: 503 naming the store, though every client holds a token")
    void storeDown() throws Exception {
        alphaIdp.issueTokens(Duration.ofHours(1));
        betaIdp.issueTokens(Duration.ofHours(1));
        String deadRedis = "redis://127.0.0.1:" + dev.tokenkeeper.testsupport.RequiredServers.freePort();
        try (Sidecar sidecar = launch(InstantSource.system(), Map.of("store.type", "redis", "store.url", deadRedis,
                "sealing.keys", dev.tokenkeeper.application.SealingKeys.generateSpec("k1")))) {
            dev.tokenkeeper.testsupport.Await.until("both clients hold tokens", () -> sidecar.tokenkeeper().provider()
                    .status(sidecar.tokenkeeper().key("alpha")).isValid()
                    && sidecar.tokenkeeper().provider().status(sidecar.tokenkeeper().key("beta")).isValid());
            HttpResponse<String> ready = ready(sidecar);
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(503);
            JsonObject body = new JsonObject(ready.body());
            assertThat(body.getString("failing")).isEqualTo("store: STORE_UNAVAILABLE");
            assertThat(body.getJsonObject("checks").getString("store")).isEqualTo("DOWN");
        }
    }

    HttpResponse<String> ready(Sidecar sidecar) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(sidecar.uri().resolve("/health/ready"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        logs.saw(r.body());
        scanner.seen(r.body());
        return r;
    }
}
