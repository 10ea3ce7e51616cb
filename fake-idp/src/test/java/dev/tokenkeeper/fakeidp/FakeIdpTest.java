package dev.tokenkeeper.fakeidp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.fakeidp.FakeIdp.Response;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The fake IdP against a real HTTP client: every behaviour the tests, the demo and the benchmarks rely on. */
class FakeIdpTest {

    private final FakeIdp idp = FakeIdp.start();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @AfterEach
    void close() {
        idp.close();
    }

    private HttpResponse<String> post(String form, String basic) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(idp.tokenUri())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(form));
        if (basic != null) {
            b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(basic.getBytes(StandardCharsets.UTF_8)));
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String form) throws IOException, InterruptedException {
        return post(form, null);
    }

    private static String field(String json, String name) {
        return json.replaceAll(".*\"" + name + "\":\"([^\"]+)\".*", "$1");
    }

    @Test
    @DisplayName("binds to loopback and answers 500 until scripted")
    void unscripted() throws Exception {
        assertThat(idp.tokenUri().getHost()).isEqualTo("127.0.0.1");
        assertThat(idp.tokenUri().getPort()).isEqualTo(idp.port());
        HttpResponse<String> r = post("grant_type=client_credentials");
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(r.body()).contains("nothing scripted");
        assertThat(idp.requestCount()).isEqualTo(1);
    }

    @Test
    @DisplayName("close is idempotent, and nothing listens afterwards")
    void closeTwice() {
        idp.close();
        idp.close();
        assertThatThrownBy(() -> post("grant_type=client_credentials")).isInstanceOf(IOException.class);
    }

    @Test
    @DisplayName("issues unique tokens whose value carries the expiry it announces, and counts them")
    void tokensCarryTheirExpiry() throws Exception {
        idp.issueTokens(Duration.ofSeconds(60));
        long before = System.currentTimeMillis();
        HttpResponse<String> r = post("grant_type=client_credentials&scope=a");
        long after = System.currentTimeMillis();
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(r.body()).contains("\"token_type\":\"Bearer\"", "\"expires_in\":60").doesNotContain("refresh_token");
        String token = field(r.body(), "access_token");
        assertThat(FakeIdp.expiresAtOf(token)).isBetween(before + 60_000, after + 60_000);
        assertThat(FakeIdp.expiresAtOf("Bearer " + token)).isEqualTo(FakeIdp.expiresAtOf(token));
        assertThat(idp.newestExpiresAtMillis()).isEqualTo(FakeIdp.expiresAtOf(token));

        String second = field(post("grant_type=client_credentials").body(), "access_token");
        assertThat(second).isNotEqualTo(token);
        assertThat(idp.issuedTokens()).containsExactly(token, second);
        assertThat(idp.issued()).isEqualTo(2);
        assertThat(idp.lastRequest().form()).containsEntry("grant_type", "client_credentials");
        assertThat(idp.requests()).hasSize(2);
        assertThat(idp.requests().get(0).form()).containsEntry("scope", "a");
        assertThatThrownBy(() -> FakeIdp.expiresAtOf("someone-else's")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("answers the script in order, then the fallback; 429 carries Retry-After")
    void script() throws Exception {
        idp.respondWith(Response.rateLimited(Duration.ofSeconds(7)), Response.status(503).withHeader("Retry-After", "3"))
                .issueTokens(Duration.ofMinutes(5));
        HttpResponse<String> first = post("grant_type=client_credentials");
        assertThat(first.statusCode()).isEqualTo(429);
        assertThat(first.headers().firstValue("Retry-After")).hasValue("7");
        assertThat(first.body()).contains("\"error\":\"slow_down\"");
        HttpResponse<String> second = post("grant_type=client_credentials");
        assertThat(second.statusCode()).isEqualTo(503);
        assertThat(second.body()).isEmpty();
        assertThat(post("grant_type=client_credentials").statusCode()).isEqualTo(200);
        assertThat(post("grant_type=client_credentials").statusCode()).isEqualTo(200);
        assertThat(idp.requestCount()).isEqualTo(4);
        assertThat(idp.issued()).isEqualTo(2);
    }

    @Nested
    @DisplayName("rotating refresh tokens")
    class RefreshTokens {

        @Test
        @DisplayName("each refresh token is good for one refresh_token grant, which brings the next one")
        void rotation() throws Exception {
            idp.alwaysRespond(Response.tokensWithRefresh(Duration.ofMinutes(5)));
            String rt1 = field(post("grant_type=client_credentials").body(), "refresh_token");
            HttpResponse<String> refreshed = post("grant_type=refresh_token&refresh_token=" + rt1);
            assertThat(refreshed.statusCode()).isEqualTo(200);
            String rt2 = field(refreshed.body(), "refresh_token");
            assertThat(rt2).isNotEqualTo(rt1);
            assertThat(idp.issuedRefreshTokens()).containsExactly(rt1, rt2);

            HttpResponse<String> reused = post("grant_type=refresh_token&refresh_token=" + rt1);
            assertThat(reused.statusCode()).isEqualTo(400);
            assertThat(reused.body()).contains("\"error\":\"invalid_grant\"");
            assertThat(post("grant_type=refresh_token&refresh_token=forged").statusCode()).isEqualTo(400);
            assertThat(post("grant_type=refresh_token&refresh_token=" + rt2).statusCode()).isEqualTo(200);
            assertThat(idp.issued()).isEqualTo(3);
        }

        @Test
        @DisplayName("reset forgets every refresh token")
        void resetForgets() throws Exception {
            idp.alwaysRespond(Response.tokensWithRefresh(Duration.ofMinutes(5)));
            String rt = field(post("grant_type=client_credentials").body(), "refresh_token");
            idp.reset();
            idp.alwaysRespond(Response.tokensWithRefresh(Duration.ofMinutes(5)));
            assertThat(post("grant_type=refresh_token&refresh_token=" + rt).statusCode()).isEqualTo(400);
        }
    }

    @Nested
    @DisplayName("client authentication")
    class ClientAuthentication {

        @Test
        @DisplayName("a wrong secret, Basic or form, is answered 401 invalid_client without using the script")
        void secret() throws Exception {
            idp.acceptOnlyClientSecret("s3cr%t").respondWith(Response.status(204)).issueTokens(Duration.ofMinutes(1));
            HttpResponse<String> wrong = post("grant_type=client_credentials", "client:other");
            assertThat(wrong.statusCode()).isEqualTo(401);
            assertThat(wrong.headers().firstValue("WWW-Authenticate")).isPresent();
            assertThat(wrong.body()).contains("invalid_client");
            assertThat(post("grant_type=client_credentials&client_id=c&client_secret=nope").statusCode()).isEqualTo(401);
            assertThat(post("grant_type=client_credentials", "client:s3cr%25t").statusCode()).isEqualTo(204);
            assertThat(post("grant_type=client_credentials&client_id=c&client_secret=s3cr%25t").statusCode()).isEqualTo(200);
            assertThat(FakeIdp.clientSecretOf(idp.lastRequest())).isEqualTo("s3cr%t");
            idp.acceptOnlyClientSecret(null);
            assertThat(post("grant_type=client_credentials", "client:other").statusCode()).isEqualTo(200);
        }

        @Test
        @DisplayName("acceptOnlyClient checks the client id too")
        void clientId() throws Exception {
            idp.acceptOnlyClient("demo-client", "pw").issueTokens(Duration.ofMinutes(1));
            assertThat(post("grant_type=client_credentials", "intruder:pw").statusCode()).isEqualTo(401);
            assertThat(post("grant_type=client_credentials", "demo-client:pw").statusCode()).isEqualTo(200);
            assertThat(FakeIdp.clientIdOf(idp.lastRequest())).isEqualTo("demo-client");
        }
    }

    @Nested
    @DisplayName("outages and latency")
    class OutagesAndLatency {

        @Test
        @DisplayName("an outage window answers 503 temporarily_unavailable and counts the refusals")
        void outageWindow() throws Exception {
            idp.issueTokens(Duration.ofSeconds(60));
            assertThat(post("grant_type=client_credentials").statusCode()).isEqualTo(200);
            long now = System.currentTimeMillis();
            idp.outage(now - 1000, now + 60_000);
            HttpResponse<String> refused = post("grant_type=client_credentials");
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.body()).contains("temporarily_unavailable");
            assertThat(idp.requestCount()).isEqualTo(2);
            assertThat(idp.issued()).isEqualTo(1);
            assertThat(idp.refused()).isEqualTo(1);
        }

        @Test
        @DisplayName("down(true) refuses until down(false); resetCounts ends an outage and keeps the fallback")
        void downSwitch() throws Exception {
            idp.issueTokens(Duration.ofSeconds(60)).down(true);
            assertThat(post("grant_type=client_credentials").statusCode()).isEqualTo(503);
            idp.down(false);
            assertThat(post("grant_type=client_credentials").statusCode()).isEqualTo(200);
            idp.down(true);
            idp.resetCounts();
            assertThat(idp.requestCount()).isZero();
            assertThat(idp.issuedTokens()).isEmpty();
            assertThat(post("grant_type=client_credentials").statusCode()).isEqualTo(200);
            idp.reset();
            assertThat(post("grant_type=client_credentials").statusCode()).isEqualTo(500);
        }

        @Test
        @DisplayName("the latency delays every answer, and the request counts as in flight meanwhile")
        void latency() throws Exception {
            idp.issueTokens(Duration.ofSeconds(60)).latency(Duration.ofMillis(300));
            long start = System.nanoTime();
            CompletableFuture<HttpResponse<String>> answer = http.sendAsync(
                    HttpRequest.newBuilder(idp.tokenUri()).POST(HttpRequest.BodyPublishers.ofString("x=1")).build(),
                    HttpResponse.BodyHandlers.ofString());
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (idp.inFlight() == 0 && !answer.isDone() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(idp.inFlight()).isEqualTo(1);
            assertThat(answer.get().statusCode()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
            assertThat(idp.inFlight()).isZero();
            assertThatThrownBy(() -> idp.latency(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    @DisplayName("faults")
    class Faults {

        @Test
        @DisplayName("a dropped connection and a body cut short fail the client's read")
        void drops() {
            idp.respondWith(Response.dropConnection(), Response.json(200, "{\"access_token\":\"x\",\"expires_in\":60}").droppingMidBody());
            assertThatThrownBy(() -> post("a=1")).isInstanceOf(IOException.class);
            assertThatThrownBy(() -> post("a=1")).isInstanceOf(IOException.class);
            assertThat(idp.requestCount()).isEqualTo(2);
            assertThat(idp.inFlight()).isZero();
        }

        @Test
        @DisplayName("a hanging answer never comes; an oversized body streams in full")
        void hangAndOversize() throws Exception {
            idp.respondWith(Response.hang(), Response.oversizedBody(200_000));
            HttpRequest hanging = HttpRequest.newBuilder(idp.tokenUri()).timeout(Duration.ofMillis(300))
                    .POST(HttpRequest.BodyPublishers.ofString("a=1")).build();
            assertThatThrownBy(() -> http.send(hanging, HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(java.net.http.HttpTimeoutException.class);
            HttpResponse<String> big = post("a=1");
            assertThat(big.statusCode()).isEqualTo(200);
            assertThat(big.headers().firstValue("Content-Length")).isEmpty();
            assertThat(big.body()).hasSize(200_000).startsWith("{\"access_token\":\"aaa");
        }

        @Test
        @DisplayName("a delayed answer comes after its delay")
        void delay() throws Exception {
            idp.respondWith(Response.tokens(Duration.ofMinutes(1)).withDelay(Duration.ofMillis(200)));
            long start = System.nanoTime();
            assertThat(post("a=1").statusCode()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
        }
    }
}
