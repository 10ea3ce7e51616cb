package dev.tokenkeeper.runnable.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.runnable.cli.TokenkeeperCli;
import dev.tokenkeeper.testsupport.Await;
import dev.tokenkeeper.testsupport.RequiredServers;
import dev.tokenkeeper.testsupport.SecretScanner;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.http.MockWebServerWrapper;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import no.nav.security.mock.oauth2.token.OAuth2TokenProvider;
import no.nav.security.mock.oauth2.http.OAuth2HttpRequest;
import no.nav.security.mock.oauth2.http.OAuth2HttpResponse;
import no.nav.security.mock.oauth2.http.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tokenkeeper serve} end to end: two clients against mock-oauth2-server ("alpha" gets one-hour
 * tokens, "beta" eight-second ones), {@code /auth/status}, {@code /metrics} and the health endpoints
 * scraped over HTTP while tokens are acquired, refreshed and fail, then a graceful stop. Everything
 * logged (at DEBUG), printed or answered is scanned for the secrets and tokens involved.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SidecarIT {

    static final Duration PATIENCE = Duration.ofSeconds(40);

    final SecretScanner scanner = new SecretScanner();
    final CapturedLogs logs = new CapturedLogs();
    final String alphaSecret = scanner.secret("alpha-secret-" + UUID.randomUUID());
    final String betaSecret = scanner.secret("beta-secret-" + UUID.randomUUID());
    final String bearer = scanner.secret("sidecar-bearer-" + UUID.randomUUID());
    final List<String> secrets = new ArrayList<>(List.of(alphaSecret, betaSecret, bearer));
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    final FailNext betaOutage = new FailNext("/beta/token");
    MockOAuth2Server idp;

    @BeforeAll
    void startIdp() {
        if (org.slf4j.LoggerFactory.getLogger("no.nav.security.mock.oauth2") instanceof ch.qos.logback.classic.Logger l) {
            l.setLevel(ch.qos.logback.classic.Level.WARN);
        }
        idp = new MockOAuth2Server(new OAuth2Config(false, null, null, false, new OAuth2TokenProvider(),
                Set.of(new DefaultOAuth2TokenCallback("beta", "beta-client", "JWT", List.of("api://beta"), Map.of(), 8)),
                new MockWebServerWrapper()), betaOutage);
        idp.start();
    }

    @AfterAll
    void stop() {
        idp.shutdown();
        try {
            logs.assertNoneOf(secrets);
            scanner.assertClean();
        } finally {
            logs.close();
            scanner.close();
        }
    }

    @Test
    @DisplayName("serve: status and metrics move as tokens are acquired, refreshed and fail; the token endpoint "
            + "needs the bearer secret; the stop is graceful")
    void serve(@TempDir Path dir) throws Exception {
        int port = RequiredServers.freePort();
        Path betaSecretFile = Files.writeString(dir.resolve("beta.secret"), betaSecret);
        Path config = Files.writeString(dir.resolve("tokenkeeper.properties"), String.join("\n",
                "clients.alpha.token-url=" + idp.tokenEndpointUrl("alpha"),
                "clients.alpha.client-id=alpha-client",
                "clients.alpha.client-secret-env=ALPHA_SECRET",
                "clients.alpha.scope=orders.read",
                "clients.beta.token-url=" + idp.tokenEndpointUrl("beta"),
                "clients.beta.client-id=beta-client",
                "clients.beta.client-secret-file=" + betaSecretFile,
                "clients.beta.auth-method=client_secret_post",
                // beta's 8 s tokens: refresh-due after ~4-5 s, expired after 7 s
                "refresh.ahead=2s",
                "refresh.clock-skew=1s",
                "resilience.attempts=1",
                "breaker.failures=2",
                "breaker.open-delay=3s",
                "sidecar.port=" + port,
                "sidecar.token-endpoint.enabled=true",
                "sidecar.token-endpoint.secret-env=SIDECAR_BEARER",
                ""));
        Map<String, String> env = Map.of("ALPHA_SECRET", alphaSecret, "SIDECAR_BEARER", bearer);
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        Thread serve = new Thread(() -> exit.complete(TokenkeeperCli.run(env, "--config", config.toString(), "serve")),
                "serve-under-test");
        serve.start();
        URI base = URI.create("http://127.0.0.1:" + port);

        // acquired: both clients hold a token from the IdP (keep-warm asks at start)
        eventually("both tokens acquired", () -> {
            JsonObject s = status(base);
            // the success event (and so the counter) follows installation by a moment
            String m = get(base, "/metrics").body();
            return client(s, "alpha").getBoolean("is_valid") && client(s, "beta").getBoolean("is_valid")
                    && metric(m, "tokenkeeper_acquisitions_total", "client=\"alpha\"", "outcome=\"success\"") >= 1;
        });
        JsonObject first = status(base);
        JsonObject alpha = client(first, "alpha");
        assertThat(alpha.fieldNames()).contains("has_token", "expires_at", "expires_in_seconds", "is_valid",
                "refresh_at", "source", "last_error", "circuit");
        assertThat(alpha.getBoolean("has_token")).isTrue();
        assertThat(alpha.getString("source")).isEqualTo("idp");
        assertThat(alpha.getString("circuit")).isEqualTo("closed");
        assertThat(alpha.getValue("last_error")).isNull();
        assertThat(alpha.getLong("expires_in_seconds")).isBetween(3000L, 3600L);
        assertThat(Instant.parse(alpha.getString("refresh_at"))).isBefore(Instant.parse(alpha.getString("expires_at")));
        assertThat(client(first, "beta").getLong("expires_in_seconds")).isBetween(0L, 8L);
        String metrics = get(base, "/metrics").body();
        assertThat(metric(metrics, "tokenkeeper_acquisitions_total", "client=\"alpha\"", "outcome=\"success\"")).isEqualTo(1.0);
        assertThat(metric(metrics, "tokenkeeper_token_expires_in_seconds", "client=\"alpha\"")).isBetween(3000.0, 3600.0);
        assertThat(metric(metrics, "tokenkeeper_token_valid", "client=\"beta\"")).isEqualTo(1.0);
        assertThat(metric(metrics, "tokenkeeper_circuit_state", "client=\"beta\"", "state=\"closed\"")).isEqualTo(1.0);
        assertThat(metric(metrics, "tokenkeeper_acquisition_latency_seconds_count", "client=\"alpha\"")).isEqualTo(1.0);
        HttpResponse<String> ready = get(base, "/health/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(get(base, "/health/live").statusCode()).isEqualTo(200);

        // the token endpoint: refused without the bearer secret or with a wrong one, served with it
        assertThat(get(base, "/token/alpha").statusCode()).isEqualTo(401);
        assertThat(get(base, "/token/alpha", "Bearer not-" + bearer).statusCode()).isEqualTo(401);
        assertThat(get(base, "/token/nobody", "Bearer " + bearer).statusCode()).isEqualTo(404);
        HttpResponse<String> token = http.send(HttpRequest.newBuilder(base.resolve("/token/alpha"))
                .header("Authorization", "Bearer " + bearer).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(token.statusCode()).isEqualTo(200);
        assertThat(token.headers().firstValue("Cache-Control")).contains("no-store");
        String alphaToken = new JsonObject(token.body()).getString("access_token");
        assertThat(alphaToken).startsWith("eyJ");
        secrets.add(alphaToken);
        double hitsBefore = metric(get(base, "/metrics").body(), "tokenkeeper_cache_hits_total");

        // refreshed: beta's token is replaced in the background before it expires
        String betaExpiry = client(first, "beta").getString("expires_at");
        eventually("beta refreshed in the background", () -> {
            String m = get(base, "/metrics").body();
            return metric(m, "tokenkeeper_acquisitions_total", "client=\"beta\"", "outcome=\"success\"", "background=\"true\"") >= 1
                    && !client(status(base), "beta").getString("expires_at").equals(betaExpiry);
        });
        String afterRefresh = get(base, "/metrics").body();
        assertThat(metric(afterRefresh, "tokenkeeper_refreshes_scheduled_total", "client=\"beta\"")).isGreaterThanOrEqualTo(1.0);
        assertThat(metric(afterRefresh, "tokenkeeper_acquisitions_total", "client=\"alpha\"", "outcome=\"success\"")).isEqualTo(1.0);
        assertThat(metric(afterRefresh, "tokenkeeper_cache_hits_total")).isGreaterThan(hitsBefore - 1);

        // fail: the IdP answers 503 twice; beta's background refreshes fail, its breaker opens, then it recovers
        double betaSuccesses = metric(afterRefresh, "tokenkeeper_acquisitions_total", "client=\"beta\"", "outcome=\"success\"");
        betaOutage.failNext(2);
        var saw = new Object() { // what the outage showed on the way, polled until beta has recovered
            boolean openInStatus, openGauge, lastError, failureCount;
        };
        boolean recovered = holdsWithin(PATIENCE, () -> {
            JsonObject beta = client(status(base), "beta");
            String m = get(base, "/metrics").body();
            saw.openInStatus |= "open".equals(beta.getString("circuit"));
            saw.openGauge |= metric(m, "tokenkeeper_circuit_state", "client=\"beta\"", "state=\"open\"") == 1.0;
            saw.lastError |= "SERVER_ERROR".equals(beta.getString("last_error"));
            saw.failureCount |= metric(m, "tokenkeeper_acquisitions_total", "client=\"beta\"", "outcome=\"failure\"",
                    "kind=\"SERVER_ERROR\"") >= 2;
            return saw.openInStatus && saw.failureCount && beta.getBoolean("is_valid")
                    && "closed".equals(beta.getString("circuit"))
                    && metric(m, "tokenkeeper_acquisitions_total", "client=\"beta\"", "outcome=\"success\"") > betaSuccesses;
        });
        boolean sawFailureCount = saw.failureCount;
        boolean sawLastError = saw.lastError;
        boolean sawOpenInStatus = saw.openInStatus;
        boolean sawOpenGauge = saw.openGauge;
        assertThat(sawFailureCount).as("failures counted with their kind").isTrue();
        assertThat(sawLastError).as("last_error SERVER_ERROR in /auth/status").isTrue();
        assertThat(sawOpenInStatus).as("circuit open in /auth/status").isTrue();
        assertThat(sawOpenGauge).as("circuit open in /metrics").isTrue();
        assertThat(recovered).as("beta recovered: valid token, breaker closed").isTrue();
        String after = get(base, "/metrics").body();
        assertThat(metric(after, "tokenkeeper_circuit_transitions_total", "client=\"beta\"", "to=\"open\"")).isGreaterThanOrEqualTo(1.0);
        assertThat(metric(after, "tokenkeeper_acquisitions_total", "client=\"alpha\"", "outcome=\"success\"")).isEqualTo(1.0);
        assertThat(client(status(base), "alpha").getString("circuit")).isEqualTo("closed");

        // graceful stop: the command returns 0 and the port is closed
        serve.interrupt();
        assertThat(exit.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(TokenkeeperCli.OK);
        try {
            get(base, "/health/live");
            throw new AssertionError("the sidecar still answers after stopping");
        } catch (ConnectException expected) {
            // closed
        }
    }

    @Test
    @DisplayName("serve with bad configuration: exit 3, every problem named, nothing started")
    void badConfiguration() {
        Map<String, String> env = new HashMap<>();
        env.put("OAUTH_CLIENT_ID", "x");
        env.put("OAUTH_CLIENT_SECRET", alphaSecret);
        env.put("OAUTH_TOKEN_URL", "http://idp.example.com/token");
        env.put("TOKENKEEPER_STORE", "etcd");
        env.put("TOKENKEEPER__SIDECAR__HOST", "0.0.0.0");
        env.put("TOKENKEEPER__SIDECAR__TOKEN_ENDPOINT__ENABLED", "true");
        env.put("TOKENKEEPER__SIDECAR__TOKEN_ENDPOINT__SECRET_ENV", "NOT_SET_ANYWHERE");
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream before = System.err;
        System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        int code;
        try {
            code = TokenkeeperCli.run(env, "serve");
        } finally {
            System.setErr(before);
        }
        String message = err.toString(java.nio.charset.StandardCharsets.UTF_8);
        logs.saw(message);
        assertThat(code).isEqualTo(TokenkeeperCli.BAD_CONFIGURATION);
        assertThat(message).contains("invalid configuration (4 problems)",
                "clients.default.token-url: http to the remote host idp.example.com is refused",
                "store.type: unknown store 'etcd'",
                "sidecar.host: '0.0.0.0' is not a loopback address",
                "sidecar.token-endpoint.secret-env: the environment variable NOT_SET_ANYWHERE is not set");
    }

    // ------------------------------------------------------------------------------------------

    HttpResponse<String> get(URI base, String path, String... authorization) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(5));
        if (authorization.length > 0) {
            b.header("Authorization", authorization[0]);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (!path.startsWith("/token/") || r.statusCode() != 200) {
            logs.saw(r.body()); // everything but a served token must be free of secrets and tokens
            scanner.seen(r.body());
        }
        return r;
    }

    JsonObject status(URI base) throws IOException, InterruptedException {
        HttpResponse<String> r = get(base, "/auth/status");
        assertThat(r.statusCode()).isEqualTo(200);
        return new JsonObject(r.body());
    }

    static JsonObject client(JsonObject status, String name) {
        return status.getJsonObject("clients").getJsonObject(name);
    }

    /** The sum of the samples of {@code name} whose labels include every one of {@code labels}. */
    static double metric(String text, String name, String... labels) {
        double sum = 0;
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*})? (\\S+)$").matcher(text);
        while (m.find()) {
            String l = m.group(1) == null ? "" : m.group(1);
            boolean all = true;
            for (String label : labels) {
                all &= l.contains(label);
            }
            if (all) {
                sum += Double.parseDouble(m.group(2));
            }
        }
        return sum;
    }

    /** Each poll is a few HTTP round trips to the sidecar: not more often than this. */
    private static final Duration POLL = Duration.ofMillis(100);

    static void eventually(String what, Check check) {
        Await.until(what, PATIENCE, POLL, () -> okYet(check));
    }

    /** Whether {@code check} comes to hold within {@code patience} (polled; false when it does not). */
    static boolean holdsWithin(Duration patience, Check check) {
        try {
            Await.until("the check holds", patience, POLL, () -> okYet(check));
            return true;
        } catch (AssertionError timedOut) {
            return false;
        }
    }

    private static boolean okYet(Check check) {
        try {
            return check.ok();
        } catch (ConnectException | NullPointerException notYet) {
            return false; // not listening yet, or a client has no status yet
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** A route in front of mock-oauth2-server's own: answers 503 to the next N requests to one path. */
    static final class FailNext implements Route {
        private final String path;
        private final java.util.concurrent.atomic.AtomicInteger remaining = new java.util.concurrent.atomic.AtomicInteger();

        FailNext(String path) {
            this.path = path;
        }

        void failNext(int n) {
            remaining.set(n);
        }

        @Override
        public boolean match(OAuth2HttpRequest request) {
            return request.getUrl().encodedPath().endsWith(path) && remaining.get() > 0;
        }

        @Override
        public OAuth2HttpResponse invoke(OAuth2HttpRequest request) {
            remaining.decrementAndGet();
            return new OAuth2HttpResponse(okhttp3.Headers.of("Content-Type", "application/json"), 503,
                    "{\"error\":\"temporarily_unavailable\"}", null);
        }
    }

    @FunctionalInterface
    interface Check {
        boolean ok() throws Exception;
    }
}
