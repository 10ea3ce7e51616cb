package dev.tokenkeeper.adapter.http;

import dev.tokenkeeper.testsupport.SecretScanner;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.api.TokenProvider;
import dev.tokenkeeper.domain.api.TokenStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.uritemplate.UriTemplate;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@link AuthenticatedWebClient} against a loopback resource server (a Vert.x HTTP server on
 * 127.0.0.1) that accepts only the tokens the test says are valid, with a hand-written
 * {@link TokenProvider} that counts what it is asked.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthenticatedWebClientTest {

    private static final TokenKey KEY = TokenKey.of("orders", "orders.read");
    private static final long WAIT_SECONDS = 20;

    private final SecretScanner scanner = new SecretScanner();
    private final String apiKey = scanner.secret("api-key-" + UUID.randomUUID());
    private Vertx vertx;
    private WebClient webClient;
    private ResourceServer resource;
    private OtherOrigin other;
    private CountingProvider tokens;

    @BeforeAll
    void start() throws Exception {
        vertx = Vertx.vertx();
        // enough connections for 32 requests held open at once by the resource server
        webClient = WebClient.create(vertx, new WebClientOptions(), new PoolOptions().setHttp1MaxSize(64));
        resource = new ResourceServer();
        resource.start(vertx);
        other = new OtherOrigin();
        other.start(vertx);
    }

    @AfterAll
    void stop() throws Exception {
        webClient.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
        scanner.close();
    }

    @BeforeEach
    void reset() {
        tokens = new CountingProvider(resource);
        resource.reset();
        other.reset();
    }

    private AuthenticatedWebClient client() {
        return AuthenticatedWebClient.builder(webClient, tokens, KEY).build();
    }

    private static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private String url(String path) {
        return "http://127.0.0.1:" + resource.port() + path;
    }

    /** A URL on {@code server} (the resource server's or the other origin's) that redirects to {@code to}. */
    private static String redirect(String server, int status, String to) {
        return server + "/redirect/" + status + "?to=" + URLEncoder.encode(to, StandardCharsets.UTF_8);
    }

    private String redirect(int status, String to) {
        return redirect(url(""), status, to);
    }

    @Nested
    @DisplayName("with a token at hand")
    class WithToken {

        @Test
        @DisplayName("adds the Bearer token and hands the answer back untouched")
        void addsBearer() throws Exception {
            HttpResponse<Buffer> r = await(client().get(url("/orders/1")));

            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.bodyAsString()).isEqualTo("GET /orders/1 ok");
            assertThat(resource.authorizations()).containsExactly("Bearer " + tokens.issued().get(0));
            assertThat(tokens.issuedCount()).isEqualTo(1);
            assertThat(tokens.invalidations()).isZero();
        }

        @Test
        @DisplayName("a revoked token: the token is dropped, a fresh one fetched, and the request replayed exactly once")
        void replaysOnceAfterRevocation() throws Exception {
            await(client().get(url("/warm-up")));
            String first = tokens.issued().get(0);
            resource.revoke(first);
            resource.reset();

            HttpResponse<Buffer> r = await(client().get(url("/orders/2")));

            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(resource.requestCount()).as("the rejected request and one replay").isEqualTo(2);
            assertThat(tokens.issuedCount()).isEqualTo(2);
            assertThat(resource.authorizations())
                    .containsExactly("Bearer " + first, "Bearer " + tokens.issued().get(1));
            assertThat(tokens.droppedTokens()).containsExactly(first);
        }

        @Test
        @DisplayName("the replay carries the same method, query, headers and body")
        void replayIsFaithful() throws Exception {
            await(client().get(url("/warm-up")));
            resource.revoke(tokens.issued().get(0));
            resource.reset();
            AuthenticatedWebClient client = client();
            HttpRequest<Buffer> template = client.requestAbs(HttpMethod.POST, url("/orders"))
                    .addQueryParam("dry", "false")
                    .putHeader("Content-Type", "application/json")
                    .putHeader("X-Request-Id", "r-17");

            HttpResponse<Buffer> r = await(client.sendBuffer(template, Buffer.buffer("{\"item\":42}")));

            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(resource.requests()).hasSize(2).allSatisfy(seen -> {
                assertThat(seen.method()).isEqualTo("POST");
                assertThat(seen.uri()).isEqualTo("/orders?dry=false");
                assertThat(seen.requestId()).isEqualTo("r-17");
                assertThat(seen.body()).isEqualTo("{\"item\":42}");
            });
            assertThat(template.headers().contains("Authorization")).as("the caller's template is untouched").isFalse();
        }

        @Test
        @DisplayName("a second rejection is the caller's answer: one replay, never a loop")
        void onlyOneReplay() throws Exception {
            resource.rejectEverything(true);

            HttpResponse<Buffer> r = await(client().get(url("/orders/3")));

            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(resource.requestCount()).isEqualTo(2);
            assertThat(tokens.issuedCount()).isEqualTo(2);
        }

        @Test
        @DisplayName("WWW-Authenticate: Bearer error=\"invalid_token\" on another status also replays; insufficient_scope does not")
        void invalidTokenChallenge() throws Exception {
            resource.challengeOnce(400, "Bearer realm=\"orders\", error=\"invalid_token\", error_description=\"expired\"");
            HttpResponse<Buffer> replayed = await(client().get(url("/a")));
            assertThat(replayed.statusCode()).isEqualTo(200);
            assertThat(resource.requestCount()).isEqualTo(2);

            resource.reset();
            resource.challengeOnce(403, "Bearer error=\"insufficient_scope\", scope=\"orders.write\"");
            HttpResponse<Buffer> refused = await(client().get(url("/b")));
            assertThat(refused.statusCode()).isEqualTo(403);
            assertThat(resource.requestCount()).isEqualTo(1);
        }

        @Test
        @DisplayName("32 concurrent 401s for one token: one token request, and all 32 succeed")
        void concurrentRejectionsRefreshOnce() throws Exception {
            await(client().get(url("/warm-up")));
            String first = tokens.issued().get(0);
            resource.revoke(first);
            resource.reset();
            resource.holdRejections(32); // the 401s are sent only once all 32 requests have arrived
            AuthenticatedWebClient client = client();

            List<CompletableFuture<HttpResponse<Buffer>>> all = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                all.add(client.get(url("/orders/" + i)).toCompletionStage().toCompletableFuture());
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(WAIT_SECONDS, TimeUnit.SECONDS);

            assertThat(all).allSatisfy(f -> assertThat(f.join().statusCode()).isEqualTo(200));
            assertThat(resource.rejections()).isEqualTo(32);
            assertThat(tokens.issuedCount()).as("the first token and one replacement").isEqualTo(2);
            assertThat(tokens.droppedTokens()).containsExactly(first);
            assertThat(resource.requestCount()).isEqualTo(64);
        }

        @Test
        @DisplayName("a configured fallback is not used while tokens can be had")
        void fallbackUnused() throws Exception {
            List<TokenEvent> events = new CopyOnWriteArrayList<>();
            AuthenticatedWebClient client = AuthenticatedWebClient.builder(webClient, tokens, KEY)
                    .fallbackHeader("X-Api-Key", Secret.of(apiKey))
                    .listener(events::add)
                    .build();

            assertThat(await(client.get(url("/c"))).statusCode()).isEqualTo(200);
            assertThat(resource.apiKeys()).containsOnlyNulls();
            assertThat(events).isEmpty();
        }
    }

    @Nested
    @DisplayName("redirects (issue 16: the token never leaves the addressed origin)")
    class RedirectsTest {

        private final int[] statuses = {301, 302, 303, 307, 308};

        @Test
        @DisplayName("a same-origin redirect (301/302/303/307/308, relative or absolute) is followed with the token")
        void sameOrigin() throws Exception {
            for (int status : statuses) {
                for (String to : new String[] {"/orders/" + status, url("/orders/" + status)}) {
                    resource.reset();

                    HttpResponse<Buffer> r = await(client().get(redirect(status, to)));

                    assertThat(r.statusCode()).as(status + " to " + to).isEqualTo(200);
                    assertThat(r.bodyAsString()).isEqualTo("GET /orders/" + status + " ok");
                    String bearer = "Bearer " + tokens.issued().get(0);
                    assertThat(resource.authorizations()).as(status + " to " + to).containsExactly(bearer, bearer);
                }
            }
            assertThat(tokens.issuedCount()).isEqualTo(1);
            assertThat(other.requests()).isEmpty();
        }

        @Test
        @DisplayName("a cross-origin redirect (another port) is followed without the token, the fallback key or cookies")
        void crossOrigin() throws Exception {
            AuthenticatedWebClient client = AuthenticatedWebClient.builder(webClient, tokens, KEY)
                    .fallbackHeader("X-Api-Key", Secret.of(apiKey))
                    .build();
            for (int status : statuses) {
                resource.reset();
                other.reset();
                HttpRequest<Buffer> template = client.requestAbs(HttpMethod.GET, redirect(status, other.url("/landing")))
                        .putHeader("Cookie", "session=s-1")
                        .putHeader("X-Request-Id", "r-" + status);

                HttpResponse<Buffer> r = await(client.send(template));

                assertThat(r.statusCode()).as(String.valueOf(status)).isEqualTo(200);
                assertThat(r.bodyAsString()).isEqualTo("other GET /landing");
                assertThat(resource.authorizations()).containsExactly("Bearer " + tokens.issued().get(0));
                assertThat(resource.cookies()).containsExactly("session=s-1");
                assertThat(other.requests()).as(String.valueOf(status)).singleElement().satisfies(seen -> {
                    assertThat(seen.authorization()).isNull();
                    assertThat(seen.apiKey()).isNull();
                    assertThat(seen.cookie()).isNull();
                    assertThat(seen.requestId()).as("other headers go along").isEqualTo("r-" + status);
                });
            }
        }

        @Test
        @DisplayName("another host name on the same port is another origin: no DNS-based sameness")
        void otherHostNameSamePort() throws Exception {
            HttpResponse<Buffer> r = await(client().get(redirect(302, "http://localhost:" + resource.port() + "/orders/7")));

            assertThat(r.statusCode()).as("localhost answers the unauthenticated request").isEqualTo(401);
            assertThat(resource.authorizations()).containsExactly("Bearer " + tokens.issued().get(0), null);
            assertThat(tokens.invalidations()).as("not the addressed origin's verdict").isZero();
        }

        @Test
        @DisplayName("once a chain has left the origin, a hop back to it carries no token either")
        void crossOriginAndBack() throws Exception {
            String back = redirect(other.url(""), 302, url("/orders/8"));

            HttpResponse<Buffer> r = await(client().get(redirect(302, back)));

            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(resource.authorizations()).containsExactly("Bearer " + tokens.issued().get(0), null);
            assertThat(other.requests()).singleElement().satisfies(seen -> assertThat(seen.authorization()).isNull());
            assertThat(tokens.invalidations()).isZero();
            assertThat(tokens.issuedCount()).isEqualTo(1);
        }

        @Test
        @DisplayName("a 401 from the other origin is the caller's answer: no invalidation, no replay, no token sent")
        void crossOrigin401DoesNotReplay() throws Exception {
            other.reject = true;

            HttpResponse<Buffer> r = await(client().get(redirect(307, other.url("/protected"))));

            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(tokens.invalidations()).isZero();
            assertThat(tokens.issuedCount()).isEqualTo(1);
            assertThat(resource.requestCount()).as("no replay").isEqualTo(1);
            assertThat(other.requests()).singleElement().satisfies(seen -> assertThat(seen.authorization()).isNull());
        }

        @Test
        @DisplayName("a 401 after a same-origin redirect drops the token and replays the whole chain with the new one")
        void sameOrigin401Replays() throws Exception {
            await(client().get(url("/warm-up")));
            String first = tokens.issued().get(0);
            resource.revoke(first);
            resource.reset();

            HttpResponse<Buffer> r = await(client().get(redirect(302, "/orders/11")));

            assertThat(r.statusCode()).isEqualTo(200);
            String second = tokens.issued().get(1);
            assertThat(resource.authorizations()).containsExactly(
                    "Bearer " + first, "Bearer " + first, "Bearer " + second, "Bearer " + second);
            assertThat(tokens.droppedTokens()).containsExactly(first);
            assertThat(other.requests()).isEmpty();
        }

        @Test
        @DisplayName("the replay after a 401 redirected elsewhere does not carry the new token there either")
        void replayCrossOrigin() throws Exception {
            await(client().get(url("/warm-up")));
            String first = tokens.issued().get(0);
            resource.revoke(first);
            resource.reset();
            // the first answer is a 401 from the addressed origin; the replay is then redirected away
            resource.rejectOnceThenRedirect(other.url("/replayed"));

            HttpResponse<Buffer> r = await(client().get(url("/orders/12")));

            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.bodyAsString()).isEqualTo("other GET /replayed");
            assertThat(resource.authorizations()).containsExactly("Bearer " + first, "Bearer " + tokens.issued().get(1));
            assertThat(other.requests()).singleElement().satisfies(seen -> assertThat(seen.authorization()).isNull());
        }

        @Test
        @DisplayName("a POST is followed only on 303, as a GET without the body; 307 is handed back")
        void post() throws Exception {
            AuthenticatedWebClient client = client();
            HttpRequest<Buffer> see = client.requestAbs(HttpMethod.POST, redirect(303, "/orders/13"))
                    .putHeader("Content-Type", "application/json");
            HttpResponse<Buffer> r = await(client.sendBuffer(see, Buffer.buffer("{\"item\":1}")));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.bodyAsString()).isEqualTo("GET /orders/13 ok");
            assertThat(resource.requests()).extracting(Seen::method, Seen::body)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("POST", "{\"item\":1}"),
                            org.assertj.core.groups.Tuple.tuple("GET", ""));

            resource.reset();
            HttpRequest<Buffer> temporary = client.requestAbs(HttpMethod.POST, redirect(307, other.url("/x")));
            HttpResponse<Buffer> handedBack = await(client.sendBuffer(temporary, Buffer.buffer("{}")));
            assertThat(handedBack.statusCode()).isEqualTo(307);
            assertThat(other.requests()).isEmpty();
        }

        @Test
        @DisplayName("followRedirects(false) on the template, or a URI template, gets the 3xx itself")
        void notFollowed() throws Exception {
            AuthenticatedWebClient client = client();
            HttpRequest<Buffer> off = client.requestAbs(HttpMethod.GET, redirect(302, other.url("/off")))
                    .followRedirects(false);
            assertThat(await(client.send(off)).statusCode()).isEqualTo(302);

            HttpRequest<Buffer> template = webClient.requestAbs(HttpMethod.GET,
                    UriTemplate.of(redirect(302, other.url("/template"))));
            assertThat(await(client.send(template)).statusCode()).isEqualTo(302);

            assertThat(other.requests()).isEmpty();
            assertThat(resource.authorizations()).hasSize(2).allSatisfy(a -> assertThat(a).startsWith("Bearer "));
        }

        @Test
        @DisplayName("a Location that is unreadable, not http(s) or without a host is not followed: the 3xx is the answer")
        void unreadableLocation() throws Exception {
            for (String location : new String[] {"http://[bad", "ftp://127.0.0.1/x", "mailto:a@b.example", "http:///nohost",
                    "http://exa mple/"}) {
                HttpResponse<Buffer> r = await(client().get(redirect(302, location)));
                assertThat(r.statusCode()).as(location).isEqualTo(302);
            }
            assertThat(resource.requestCount()).isEqualTo(5);
        }

        @Test
        @DisplayName("a redirect loop ends after 16 redirects with the last 3xx")
        void loop() throws Exception {
            HttpResponse<Buffer> r = await(client().get(url("/loop")));
            assertThat(r.statusCode()).isEqualTo(302);
            assertThat(resource.requestCount()).as("the request and 16 redirects").isEqualTo(17);
        }
    }

    @Nested
    @DisplayName("without a token")
    class WithoutToken {

        @Test
        @DisplayName("fails with the provider's typed error and sends nothing")
        void typedError() {
            tokens.failWith(new TokenException(FailureKind.CIRCUIT_OPEN, "the breaker is open"));

            assertThatThrownBy(() -> await(client().get(url("/d"))))
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .isInstanceOfSatisfying(TokenException.class, e -> assertThat(e.kind()).isEqualTo(FailureKind.CIRCUIT_OPEN));
            assertThat(resource.requestCount()).isZero();
        }

        @Test
        @DisplayName("uses the fallback header instead, with an event every time")
        void fallback() throws Exception {
            tokens.failWith(new TokenException(FailureKind.NETWORK, "the IdP is unreachable"));
            List<TokenEvent> events = new CopyOnWriteArrayList<>();
            AuthenticatedWebClient client = AuthenticatedWebClient.builder(webClient, tokens, KEY)
                    .fallbackHeader("X-Api-Key", Secret.of(apiKey))
                    .listener(events::add)
                    .build();

            assertThat(await(client.get(url("/e"))).statusCode()).isEqualTo(200);
            assertThat(await(client.get(url("/f"))).statusCode()).isEqualTo(200);

            assertThat(resource.apiKeys()).containsExactly(apiKey, apiKey);
            assertThat(resource.authorizations()).containsOnlyNulls();
            assertThat(events).containsExactly(
                    new TokenEvent.FallbackCredentialUsed(KEY, FailureKind.NETWORK),
                    new TokenEvent.FallbackCredentialUsed(KEY, FailureKind.NETWORK));
            scanner.seen(client);
        }

        @Test
        @DisplayName("uses the fallback when the token is rejected and no new one can be had")
        void fallbackAfterRejection() throws Exception {
            await(client().get(url("/warm-up")));
            resource.revoke(tokens.issued().get(0));
            resource.reset();
            tokens.failAfterInvalidation(new TokenException(FailureKind.SERVER_ERROR, "the IdP answered 503"));
            List<TokenEvent> events = new CopyOnWriteArrayList<>();
            AuthenticatedWebClient client = AuthenticatedWebClient.builder(webClient, tokens, KEY)
                    .fallbackHeader("X-Api-Key", Secret.of(apiKey))
                    .listener(events::add)
                    .build();

            HttpResponse<Buffer> r = await(client.get(url("/g")));

            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(resource.apiKeys()).containsExactly(null, apiKey);
            assertThat(events).containsExactly(new TokenEvent.FallbackCredentialUsed(KEY, FailureKind.SERVER_ERROR));
        }

        @Test
        @DisplayName("a listener that throws does not break the request")
        void throwingListener() throws Exception {
            tokens.failWith(new TokenException(FailureKind.TIMEOUT, "no token in time"));
            AuthenticatedWebClient client = AuthenticatedWebClient.builder(webClient, tokens, KEY)
                    .fallbackHeader("X-Api-Key", Secret.of(apiKey))
                    .listener(e -> {
                        throw new IllegalStateException("listener bug");
                    })
                    .build();

            assertThat(await(client.get(url("/h"))).statusCode()).isEqualTo(200);
        }
    }

    @Nested
    @DisplayName("configuration")
    class Configuration {

        @Test
        @DisplayName("null arguments are named")
        void nulls() {
            assertThatThrownBy(() -> AuthenticatedWebClient.builder(null, tokens, KEY)).hasMessage("webClient");
            assertThatThrownBy(() -> AuthenticatedWebClient.builder(webClient, null, KEY)).hasMessage("tokens");
            assertThatThrownBy(() -> AuthenticatedWebClient.builder(webClient, tokens, null)).hasMessage("key");
            assertThatThrownBy(() -> client().send(null)).hasMessage("template");
        }

        @Test
        @DisplayName("a fallback header needs a header name and a one-line value; the value never shows")
        void fallbackValidation() {
            AuthenticatedWebClient.Builder b = AuthenticatedWebClient.builder(webClient, tokens, KEY);
            assertThatThrownBy(() -> b.fallbackHeader("X Api Key", Secret.of(apiKey)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("fallbackHeader");
            assertThatThrownBy(() -> b.fallbackHeader("X-Api-Key", Secret.of("a\r\nX-Evil: 1")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("line break");
            AuthenticatedWebClient c = b.fallbackHeader("X-Api-Key", Secret.of(apiKey)).build();
            assertThat(c.toString()).contains("X-Api-Key").doesNotContain(apiKey);
            scanner.seen(c);
        }
    }

    /**
     * A provider that issues a new unique token when it has none, drops the current one only if it
     * is the rejected one, and counts both. Concurrent callers share one issue: {@code synchronized}
     * stands in for the manager's single flight.
     */
    private final class CountingProvider implements TokenProvider {
        private final ResourceServer resource;
        private final List<String> issued = Collections.synchronizedList(new ArrayList<>());
        private final List<String> dropped = Collections.synchronizedList(new ArrayList<>());
        private final AtomicInteger invalidations = new AtomicInteger();
        private AccessToken current;
        private TokenException failure;
        private TokenException failureAfterInvalidation;

        CountingProvider(ResourceServer resource) {
            this.resource = resource;
        }

        synchronized void failWith(TokenException e) {
            failure = e;
        }

        synchronized void failAfterInvalidation(TokenException e) {
            failureAfterInvalidation = e;
        }

        @Override
        public synchronized AccessToken token(TokenKey key) {
            if (failure != null) {
                throw failure;
            }
            if (current == null) {
                String value = scanner.secret("tok-" + (issued.size() + 1) + "-" + UUID.randomUUID());
                Instant now = Instant.now();
                current = new AccessToken(Secret.of(value), "Bearer", now, now.plus(Duration.ofMinutes(5)), Set.of(), null);
                issued.add(value);
                resource.accept(value);
            }
            return current;
        }

        @Override
        public CompletionStage<AccessToken> tokenAsync(TokenKey key) {
            try {
                return CompletableFuture.completedFuture(token(key));
            } catch (TokenException e) {
                return CompletableFuture.failedFuture(e);
            }
        }

        @Override
        public synchronized void invalidate(TokenKey key) {
            current = null;
        }

        @Override
        public synchronized boolean invalidate(TokenKey key, AccessToken rejected) {
            invalidations.incrementAndGet();
            if (current == null || !current.sameValueAs(rejected)) {
                return false;
            }
            dropped.add(current.value().reveal());
            current = null;
            if (failureAfterInvalidation != null) {
                failure = failureAfterInvalidation;
            }
            return true;
        }

        @Override
        public TokenStatus status(TokenKey key) {
            return new TokenStatus(key, null, null, null, null, null);
        }

        List<String> issued() {
            return List.copyOf(issued);
        }

        int issuedCount() {
            return issued.size();
        }

        List<String> droppedTokens() {
            return List.copyOf(dropped);
        }

        int invalidations() {
            return invalidations.get();
        }
    }

    /** What the resource server saw of one request. */
    private record Seen(String method, String uri, String authorization, String apiKey, String requestId, String body,
            String cookie) {}

    private static Seen seen(HttpServerRequest req, Buffer body) {
        return new Seen(req.method().name(), req.uri(), req.getHeader("Authorization"), req.getHeader("X-Api-Key"),
                req.getHeader("X-Request-Id"), body.toString(), req.getHeader("Cookie"));
    }

    /**
     * {@code /redirect/<status>?to=<location>} on either server answers {@code status} with that
     * {@code Location} (relative or absolute), whatever the credentials.
     */
    private static boolean redirect(HttpServerRequest req) {
        if (req.path().equals("/loop")) {
            req.response().setStatusCode(302).putHeader("Location", "/loop").end();
            return true;
        }
        if (!req.path().startsWith("/redirect/")) {
            return false;
        }
        req.response().setStatusCode(Integer.parseInt(req.path().substring("/redirect/".length())))
                .putHeader("Location", req.getParam("to")).end();
        return true;
    }

    /**
     * Another origin on 127.0.0.1 (another port): records what it is sent, answers 200, or 401 with
     * a Bearer {@code invalid_token} challenge when told, and serves {@code /redirect/…} too.
     */
    private final class OtherOrigin {
        private final List<Seen> seen = new CopyOnWriteArrayList<>();
        private volatile boolean reject;
        private HttpServer server;

        void start(Vertx vertx) throws Exception {
            server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
                seen.add(seen(req, body));
                if (redirect(req)) {
                    return;
                }
                if (reject) {
                    req.response().setStatusCode(401).putHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"").end();
                } else {
                    req.response().setStatusCode(200).end("other " + req.method().name() + " " + req.path());
                }
            }));
            server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
        }

        String url(String path) {
            return "http://127.0.0.1:" + server.actualPort() + path;
        }

        void reset() {
            seen.clear();
            reject = false;
        }

        List<Seen> requests() {
            return List.copyOf(seen);
        }
    }

    /**
     * A protected API on 127.0.0.1: answers 200 to a valid Bearer token or to the test's API key,
     * 401 with {@code WWW-Authenticate: Bearer error="invalid_token"} otherwise. It can hold its 401s
     * until a number of them are pending, so that many requests are rejected with the same token at
     * once.
     */
    private final class ResourceServer {
        private final Set<String> valid = ConcurrentHashMap.newKeySet();
        private final List<Seen> seen = new CopyOnWriteArrayList<>();
        private final List<HttpServerRequest> held = new ArrayList<>();
        private final AtomicInteger rejections = new AtomicInteger();
        private final AtomicReference<String[]> challengeOnce = new AtomicReference<>();
        private volatile boolean rejectEverything;
        private volatile String redirectAccepted;
        private volatile int holdUntil;
        private HttpServer server;

        void start(Vertx vertx) throws Exception {
            server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> handle(req, body)));
            server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
        }

        int port() {
            return server.actualPort();
        }

        void accept(String token) {
            valid.add(token);
        }

        void revoke(String token) {
            valid.remove(token);
        }

        void rejectEverything(boolean on) {
            rejectEverything = on;
        }

        void challengeOnce(int status, String challenge) {
            challengeOnce.set(new String[] {String.valueOf(status), challenge});
        }

        /** Rejects what it rejects anyway, but redirects every accepted request to {@code location}. */
        void rejectOnceThenRedirect(String location) {
            redirectAccepted = location;
        }

        void holdRejections(int count) {
            holdUntil = count;
        }

        synchronized void reset() {
            seen.clear();
            held.clear();
            rejections.set(0);
            rejectEverything = false;
            redirectAccepted = null;
            holdUntil = 0;
            challengeOnce.set(null);
        }

        private void handle(HttpServerRequest req, Buffer body) {
            String authorization = req.getHeader("Authorization");
            String key = req.getHeader("X-Api-Key");
            seen.add(seen(req, body));
            scanner.seen(req.uri()); // paths and queries are no place for secrets either
            if (redirect(req)) {
                return;
            }
            String[] challenge = challengeOnce.getAndSet(null);
            if (challenge != null) {
                req.response().setStatusCode(Integer.parseInt(challenge[0])).putHeader("WWW-Authenticate", challenge[1]).end();
                return;
            }
            boolean ok = !rejectEverything && (apiKey.equals(key)
                    || authorization != null && authorization.startsWith("Bearer ") && valid.contains(authorization.substring(7)));
            if (ok && redirectAccepted != null) {
                req.response().setStatusCode(302).putHeader("Location", redirectAccepted).end();
                return;
            }
            if (ok) {
                req.response().setStatusCode(200).end(req.method().name() + " " + req.path() + " ok");
                return;
            }
            rejections.incrementAndGet();
            List<HttpServerRequest> release = List.of(req);
            if (holdUntil > 0) {
                synchronized (this) {
                    held.add(req);
                    if (held.size() < holdUntil) {
                        return;
                    }
                    release = List.copyOf(held);
                    held.clear();
                    holdUntil = 0;
                }
            }
            for (HttpServerRequest r : release) {
                r.response().setStatusCode(401).putHeader("WWW-Authenticate", "Bearer realm=\"orders\", error=\"invalid_token\"").end();
            }
        }

        List<Seen> requests() {
            return List.copyOf(seen);
        }

        List<String> cookies() {
            return seen.stream().map(Seen::cookie).toList();
        }

        int requestCount() {
            return seen.size();
        }

        int rejections() {
            return rejections.get();
        }

        List<String> authorizations() {
            return seen.stream().map(Seen::authorization).toList();
        }

        List<String> apiKeys() {
            return seen.stream().map(Seen::apiKey).toList();
        }
    }
}
