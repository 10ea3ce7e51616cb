package dev.tokenkeeper.bootstrap.resilience;

import dev.tokenkeeper.fakeidp.FakeIdp.Response;
import dev.tokenkeeper.testsupport.SecretScanner;
import static dev.tokenkeeper.bootstrap.resilience.Fixture.KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.tokenkeeper.adapter.http.AuthenticatedWebClient;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.api.TokenEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The decorator end to end: a real {@code TokenManager} and {@code VertxTokenEndpoint} against the
 * fault-injecting token server, and a loopback resource server that refuses revoked tokens.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthenticatedWebClientIT {

    private final SecretScanner scanner = new SecretScanner();
    private final String apiKey = scanner.secret("api-key-" + UUID.randomUUID());
    private Vertx vertx;
    private WebClient webClient;

    @BeforeAll
    void start() {
        vertx = Vertx.vertx();
        // enough connections for 32 requests that the resource server holds open at once
        webClient = WebClient.create(vertx, new WebClientOptions(), new PoolOptions().setHttp1MaxSize(64));
    }

    @AfterAll
    void stop() throws Exception {
        webClient.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(Fixture.PATIENCE.toSeconds(), TimeUnit.SECONDS);
        scanner.close();
    }

    private static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(Fixture.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    @DisplayName("a revoked token: the request succeeds after exactly one replay and one token request")
    void revokedTokenIsReplacedOnce() throws Exception {
        try (Fixture f = new Fixture(scanner, Fixture.quick());
                LoopbackResourceServer api = new LoopbackResourceServer(vertx, f.idp, apiKey)) {
            f.idp.issueTokens(Fixture.LIFETIME);
            AuthenticatedWebClient client = AuthenticatedWebClient.builder(webClient, f.manager, KEY).build();
            assertThat(await(client.get(api.url("/orders"))).statusCode()).isEqualTo(200);
            String first = f.idp.issuedTokens().get(0);
            api.revoke(first);
            api.resetCounts();

            HttpResponse<Buffer> r = await(client.get(api.url("/orders")));

            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(api.requestCount()).as("the refused request and exactly one replay").isEqualTo(2);
            assertThat(api.authorizations()).containsExactly("Bearer " + first, "Bearer " + f.idp.issuedTokens().get(1));
            assertThat(f.idp.requestCount()).as("the first token and one replacement").isEqualTo(2);
            assertThat(f.events.of(TokenEvent.TokenInvalidated.class))
                    .containsExactly(new TokenEvent.TokenInvalidated(KEY, true));
            f.registerIssuedTokens();
        }
    }

    @Test
    @DisplayName("32 concurrent 401s for one token produce one token request, and all 32 requests succeed")
    void concurrentRejectionsOneTokenRequest() throws Exception {
        try (Fixture f = new Fixture(scanner, Fixture.quick());
                LoopbackResourceServer api = new LoopbackResourceServer(vertx, f.idp, apiKey)) {
            f.idp.issueTokens(Fixture.LIFETIME);
            AuthenticatedWebClient client = AuthenticatedWebClient.builder(webClient, f.manager, KEY).build();
            assertThat(await(client.get(api.url("/warm-up"))).statusCode()).isEqualTo(200);
            api.revoke(f.idp.issuedTokens().get(0));
            api.resetCounts();
            api.holdRejections(32);

            List<CompletableFuture<HttpResponse<Buffer>>> all = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                all.add(client.get(api.url("/orders/" + i)).toCompletionStage().toCompletableFuture());
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(Fixture.PATIENCE.toSeconds(), TimeUnit.SECONDS);

            assertThat(all).allSatisfy(r -> assertThat(r.join().statusCode()).isEqualTo(200));
            assertThat(api.rejections()).as("concurrent 401s").isEqualTo(32);
            assertThat(f.idp.requestCount()).as("the first token and exactly one replacement").isEqualTo(2);
            assertThat(f.events.count(TokenEvent.TokenInvalidated.class, e -> true)).as("one drop, not 32").isEqualTo(1);
            assertThat(api.requestCount()).isEqualTo(64);
            f.registerIssuedTokens();
        }
    }

    @Test
    @DisplayName("no token to be had: a typed error and nothing sent, or the fallback header with an event each time")
    void fallbackCredential() throws Exception {
        try (Fixture f = new Fixture(scanner, Fixture.quick());
                LoopbackResourceServer api = new LoopbackResourceServer(vertx, f.idp, apiKey)) {
            f.idp.alwaysRespond(Response.json(400, "{\"error\":\"invalid_client\"}"));
            AuthenticatedWebClient strict = AuthenticatedWebClient.builder(webClient, f.manager, KEY).build();

            ExecutionException e = catchThrowableOfType(ExecutionException.class, () -> await(strict.get(api.url("/a"))));
            assertThat(e.getCause()).isInstanceOfSatisfying(TokenException.class,
                    te -> assertThat(te.kind()).isEqualTo(FailureKind.INVALID_CLIENT));
            assertThat(api.requestCount()).isZero();
            scanner.seen(e);

            List<TokenEvent> fallbackEvents = new CopyOnWriteArrayList<>();
            AuthenticatedWebClient lenient = AuthenticatedWebClient.builder(webClient, f.manager, KEY)
                    .fallbackHeader("X-Api-Key", Secret.of(apiKey))
                    .listener(fallbackEvents::add)
                    .build();
            assertThat(await(lenient.get(api.url("/b"))).statusCode()).isEqualTo(200);
            assertThat(await(lenient.get(api.url("/c"))).statusCode()).isEqualTo(200);

            assertThat(api.apiKeys()).containsExactly(apiKey, apiKey);
            assertThat(api.authorizations()).containsOnly("null");
            assertThat(fallbackEvents).containsExactly(
                    new TokenEvent.FallbackCredentialUsed(KEY, FailureKind.INVALID_CLIENT),
                    new TokenEvent.FallbackCredentialUsed(KEY, FailureKind.INVALID_CLIENT));
            scanner.seen(lenient);
        }
    }
}
