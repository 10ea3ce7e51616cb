package dev.tokenkeeper.bootstrap;

import dev.tokenkeeper.testsupport.Await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.Freshness;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.testsupport.TestClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The whole hexagon for real: configuration → assembly → manager → Vert.x endpoint → a real OAuth
 * 2.0 server. The manager's clock is a test clock, so refresh windows are crossed without sleeping.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ManagerOverOAuth2ServerIT {

    static final String ISSUER = "it";
    MockOAuth2Server server;

    @BeforeAll
    void start() {
        server = new MockOAuth2Server();
        server.start();
    }

    @AfterAll
    void stop() {
        server.shutdown();
    }

    Tokenkeeper start(TestClock clock, List<TokenEvent> events, String authMethod) {
        Settings s = Settings.of(Map.of(
                "clients.orders.token-url", server.tokenEndpointUrl(ISSUER).toString(),
                "clients.orders.client-id", "orders-client",
                "clients.orders.client-secret", "orders-secret",
                "clients.orders.auth-method", authMethod,
                "clients.orders.scope", "orders.read",
                "clients.orders.audience", "api://orders",
                "refresh.proactive", "false",
                "refresh.jitter", "0"));
        return Tokenkeeper.builder(TokenkeeperConfig.from(s)).listener(events::add).clock(clock).start();
    }

    @Test
    @DisplayName("client_secret_basic and client_secret_post both obtain tokens with the requested scope and audience")
    void bothAuthMethods() throws Exception {
        for (String method : List.of("client_secret_basic", "client_secret_post")) {
            drainRecordedRequests();
            TestClock clock = TestClock.at(Instant.now());
            try (Tokenkeeper tk = start(clock, new CopyOnWriteArrayList<>(), method)) {
                AccessToken t = tk.provider().token(tk.defaultKey());
                assertThat(t.tokenType()).isEqualToIgnoringCase("Bearer");
                var request = server.takeRequest(5, TimeUnit.SECONDS);
                String body = request.getBody().readUtf8();
                assertThat(body).contains("grant_type=client_credentials", "scope=orders.read", "audience=api%3A%2F%2Forders");
                if (method.equals("client_secret_post")) {
                    assertThat(body).contains("client_id=orders-client");
                } else {
                    assertThat(request.getHeader("Authorization")).startsWith("Basic ");
                }
            }
        }
    }

    /** The server records every request of every test; forget those of earlier ones. */
    void drainRecordedRequests() {
        try {
            while (server.takeRequest(50, TimeUnit.MILLISECONDS) != null) {
                // discard
            }
        } catch (RuntimeException e) {
            // some versions signal "no request" by throwing on timeout
        }
    }

    @Test
    @DisplayName("a short-lived issuer: the lifetime is honoured, and crossing the refresh window refreshes from the server")
    void refreshFromServer() throws Exception {
        server.enqueueCallback(new DefaultOAuth2TokenCallback(ISSUER, "orders-client", "JWT", List.of("api://orders"), Map.of(), 120));
        TestClock clock = TestClock.at(Instant.now());
        List<TokenEvent> events = new CopyOnWriteArrayList<>();
        try (Tokenkeeper tk = start(clock, events, "client_secret_basic")) {
            TokenKey key = tk.defaultKey();
            AccessToken first = tk.provider().token(key);
            assertThat(first.lifetime()).isBetween(Duration.ofSeconds(119), Duration.ofSeconds(120));
            // defaults: skew 30 s, refresh 60 s ahead but at most a fifth of the life (24 s): due from 66 s, expired from 90 s
            clock.advance(Duration.ofSeconds(70));
            assertThat(tk.provider().status(key).freshness()).isEqualTo(Freshness.REFRESH_DUE);
            assertThat(tk.provider().token(key)).isSameAs(first); // served while refreshing
            // the refresh is a real HTTP round trip to the server
            Await.until("the refreshed token is served", Duration.ofSeconds(20),
                    () -> !tk.provider().token(key).sameValueAs(first));
            AccessToken second = tk.provider().token(key);
            assertThat(second.sameValueAs(first)).isFalse();
            // the success event follows installation: it may trail the first call that sees the new token
            Await.until("the background success event", () -> events.stream()
                    .anyMatch(e -> e instanceof TokenEvent.AcquisitionSucceeded s && s.background()));
            assertThat(events).filteredOn(e -> e instanceof TokenEvent.AcquisitionSucceeded s && s.background()).hasSize(1);
            assertThat(tk.manager().stats().acquisitions()).isEqualTo(2);
        }
    }
}
