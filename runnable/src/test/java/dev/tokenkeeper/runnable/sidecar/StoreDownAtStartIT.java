package dev.tokenkeeper.runnable.sidecar;

import dev.tokenkeeper.testsupport.PrivatePostgres;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.runnable.cli.CapturedCli;
import dev.tokenkeeper.bootstrap.Settings;
import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.runnable.cli.TokenkeeperCli;
import dev.tokenkeeper.bootstrap.persistence.ReconnectingStore;
import dev.tokenkeeper.testsupport.Await;
import dev.tokenkeeper.testsupport.RequiredServers;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A shared store that is down when tokenkeeper starts: {@code token} and {@code serve} still work
 * from the IdP, with one WARN line (no stack trace, no password), and a JDBC store that comes up
 * later is used once it answers. Before, a JDBC store down at start killed both commands (stack
 * trace, exit 1, no token request), and Redis logged a WARN per operation.
 */
class StoreDownAtStartIT {

    final String password = "pw-" + UUID.randomUUID();
    final String secret = "secret-" + UUID.randomUUID();

    @RegisterExtension
    final CapturedCli cli = CapturedCli.withIdp();

    @BeforeEach
    void setUp() {
        cli.client("orders", cli.idp().tokenUri(), "orders-client", secret)
                .set("TOKENKEEPER_SEALING_KEYS", SealingKeys.generateSpec("k1"));
    }

    /** A store URL on a loopback port nothing listens on. */
    void storeDown(String type) {
        int port = RequiredServers.freePort();
        cli.set("TOKENKEEPER__STORE__TYPE", type);
        cli.set("TOKENKEEPER__STORE__URL", type.equals("jdbc")
                ? "jdbc:postgresql://127.0.0.1:" + port + "/test?user=postgres&password=" + password
                : "redis://:" + password + "@127.0.0.1:" + port);
    }

    void oneCleanWarn() {
        String log = cli.err();
        assertThat(log.lines().filter(l -> l.contains("WARN"))).as(log).hasSize(1);
        assertThat(log).contains("store cannot be reached at start").doesNotContain("\tat ").doesNotContain(password)
                .doesNotContain(secret);
    }

    @Test
    @DisplayName("token with a JDBC store down at start: a token from the IdP, exit 0, one WARN line")
    void tokenWithJdbcDown() {
        storeDown("jdbc");
        assertThat(cli.run("token")).as(cli.err()).isZero();
        assertThat(cli.out().strip()).isEqualTo(cli.idp().issuedTokens().get(0));
        assertThat(cli.idp().requestCount()).isEqualTo(1);
        oneCleanWarn();
    }

    @Test
    @DisplayName("token with a Redis store down at start: the same, one WARN line (not one per operation)")
    void tokenWithRedisDown() {
        storeDown("redis");
        assertThat(cli.run("token")).as(cli.err()).isZero();
        assertThat(cli.out().strip()).isEqualTo(cli.idp().issuedTokens().get(0));
        oneCleanWarn();
    }

    @Test
    @DisplayName("serve with a JDBC store down at start: starts, serves its token, stops with 0")
    void serveWithJdbcDown() throws Exception {
        storeDown("jdbc");
        int port = RequiredServers.freePort();
        cli.set("TOKENKEEPER__SIDECAR__PORT", String.valueOf(port));
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        Thread serve = new Thread(() -> exit.complete(cli.run("serve")), "serve-store-down");
        serve.start();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        URI status = URI.create("http://127.0.0.1:" + port + "/auth/status");
        AtomicReference<String> last = new AtomicReference<>();
        try {
            Await.until("serve answers with a token for orders", Duration.ofSeconds(30), () -> {
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(status).build(), HttpResponse.BodyHandlers.ofString());
                    last.set(r.statusCode() + " " + r.body() + " " + cli.err());
                    return r.statusCode() == 200 && new JsonObject(r.body()).getJsonObject("clients")
                            .getJsonObject("orders").getBoolean("is_valid", false);
                } catch (Exception notYet) {
                    return exit.isDone() && !exit.isCompletedExceptionally() ? fail(exit.getNow(-1)) : false;
                }
            });
            // tokens are served, but the store is not there: readiness says so and names it
            HttpResponse<String> ready = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(503);
            assertThat(ready.body()).contains("store: STORE_UNAVAILABLE").doesNotContain(password);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + ": " + last.get() + " / " + cli.err(), e);
        } finally {
            serve.interrupt();
        }
        assertThat(exit.get(30, TimeUnit.SECONDS)).isEqualTo(TokenkeeperCli.OK);
        assertThat(cli.err()).contains("store cannot be reached at start").doesNotContain("\tat ").doesNotContain(password);
    }

    private static boolean fail(int code) {
        throw new AssertionError("serve exited with " + code + " instead of starting");
    }

    @Test
    @DisplayName("a PostgreSQL that comes up after start is used once it answers: its token is found there by another instance")
    void jdbcComesUpLater() throws Exception {
        try (PrivatePostgres pg = PrivatePostgres.createAndStart()) {
            pg.stop();
            assertThat(pg.listening()).isFalse();
            cli.set("TOKENKEEPER__STORE__TYPE", "jdbc");
            cli.set("TOKENKEEPER__STORE__URL", pg.jdbcUrl() + "&user=" + pg.user() + "&password=" + password);
            TokenkeeperConfig config = TokenkeeperConfig.from(Settings.load(null, cli.env()));
            try (Tokenkeeper first = Tokenkeeper.start(config)) {
                assertThat(first.store()).isInstanceOf(ReconnectingStore.class);
                String token = first.provider().token(first.defaultKey()).value().reveal();
                assertThat(cli.idp().requestCount()).isEqualTo(1);
                oneCleanWarn();

                pg.start();
                ReconnectingStore store = (ReconnectingStore) first.store();
                Await.until("the store is connected once PostgreSQL answers",
                        ReconnectingStore.RETRY_EVERY.multipliedBy(4), store::connected);

                try (Tokenkeeper second = Tokenkeeper.start(config)) {
                    assertThat(second.store()).as("up at start: the store itself").isNotInstanceOf(ReconnectingStore.class);
                    assertThat(second.provider().token(second.defaultKey()).value().reveal())
                            .as("the first instance's token, copied into PostgreSQL when it came up").isEqualTo(token);
                }
                assertThat(cli.idp().requestCount()).as("no second token request").isEqualTo(1);
                assertThat(List.of(cli.err())).noneMatch(l -> l.contains(password));
            }
        }
    }
}
