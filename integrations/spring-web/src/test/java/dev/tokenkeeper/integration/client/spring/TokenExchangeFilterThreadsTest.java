package dev.tokenkeeper.integration.client.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.bootstrap.Settings;
import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.api.TokenProvider;
import dev.tokenkeeper.domain.api.TokenStatus;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.integration.tck.ResourceServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.ResponseEntity;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * {@link TokenExchangeFilter} on Reactor Netty never blocks an event loop: it asks for tokens and
 * drops a rejected one only through the provider's asynchronous forms ({@code tokenAsync},
 * {@code invalidateAsync}), and the invalidation, which deletes from the manager's store, runs on
 * the manager's own threads, never on a {@code reactor-http-*} thread. And a rejected token is
 * replayed once at most, however the fresh token fares.
 */
class TokenExchangeFilterThreadsTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private FakeIdp idp;
    private ResourceServer api;
    private Tokenkeeper tokenkeeper;
    private final List<String> invalidatedOn = new CopyOnWriteArrayList<>();
    private final List<String> blockingCalls = new CopyOnWriteArrayList<>();
    private WebClient web;

    @BeforeEach
    void start() throws Exception {
        idp = FakeIdp.start().issueTokens(Duration.ofHours(1));
        api = ResourceServer.start(token -> idp.issuedTokens().contains(token));
        tokenkeeper = Tokenkeeper.builder(TokenkeeperConfig.from(Settings.of(Map.of(
                        "clients.api.token-url", idp.tokenUri().toString(),
                        "clients.api.client-id", "threads",
                        "clients.api.client-secret", "threads-secret",
                        "clients.api.allow-insecure-http", "true",
                        "resilience.attempts", "1"))))
                .listener(event -> {
                    if (event instanceof TokenEvent.TokenInvalidated) {
                        invalidatedOn.add(Thread.currentThread().getName());
                    }
                })
                .start();
        web = WebClient.builder().clientConnector(new ReactorClientHttpConnector())
                .filter(TokenExchangeFilter.of(new Recording(tokenkeeper.provider()), TokenKey.of("api"))).build();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {tokenkeeper, api, idp}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private ResponseEntity<String> get(String path) {
        return web.get().uri(api.uri(path)).exchangeToMono(r -> r.toEntity(String.class)).block(WAIT);
    }

    @Test
    void a_rejected_token_is_dropped_off_the_event_loop_and_replayed_once() {
        assertThat(get("/api/warm").getStatusCode().value()).isEqualTo(200);
        api.revoke(idp.issuedTokens().get(0));

        assertThat(get("/api/orders").getStatusCode().value()).isEqualTo(200);

        assertThat(api.seen("/api/orders")).hasSize(2);
        assertThat(invalidatedOn).hasSize(1).noneMatch(name -> name.startsWith("reactor-"));
        assertThat(blockingCalls).as("blocking provider calls made by the filter").isEmpty();
    }

    @Test
    void a_fresh_token_refused_too_is_not_replayed_again() {
        assertThat(get("/api/warm").getStatusCode().value()).isEqualTo(200);
        api.rejectEverything(true);

        assertThat(get("/api/orders").getStatusCode().value()).isEqualTo(401);

        assertThat(api.seen("/api/orders")).as("the request and one replay").hasSize(2);
        assertThat(idp.requestCount()).isEqualTo(2);
        assertThat(invalidatedOn).noneMatch(name -> name.startsWith("reactor-"));
        assertThat(blockingCalls).isEmpty();
    }

    @Test
    void a_cold_cache_is_filled_without_a_blocking_call() {
        assertThat(get("/api/cold").getStatusCode().value()).isEqualTo(200);

        assertThat(idp.requestCount()).isEqualTo(1);
        assertThat(blockingCalls).isEmpty();
    }

    /** The real provider, with a note of every call of its blocking forms (which the filter must not make). */
    private final class Recording implements TokenProvider {
        private final TokenProvider real;

        Recording(TokenProvider real) {
            this.real = real;
        }

        @Override
        public AccessToken token(TokenKey key) {
            blockingCalls.add("token on " + Thread.currentThread().getName());
            return real.token(key);
        }

        @Override
        public CompletionStage<AccessToken> tokenAsync(TokenKey key) {
            return real.tokenAsync(key);
        }

        @Override
        public void invalidate(TokenKey key) {
            blockingCalls.add("invalidate on " + Thread.currentThread().getName());
            real.invalidate(key);
        }

        @Override
        public boolean invalidate(TokenKey key, AccessToken rejected) {
            blockingCalls.add("invalidate(rejected) on " + Thread.currentThread().getName());
            return real.invalidate(key, rejected);
        }

        @Override
        public CompletionStage<Boolean> invalidateAsync(TokenKey key, AccessToken rejected) {
            return real.invalidateAsync(key, rejected);
        }

        @Override
        public TokenStatus status(TokenKey key) {
            return real.status(key);
        }
    }
}
