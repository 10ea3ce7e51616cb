package dev.tokenkeeper.bootstrap.resilience;

import dev.tokenkeeper.testsupport.SecretScanner;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.tokenkeeper.adapter.http.VertxTokenEndpoint;
import dev.tokenkeeper.application.ClientRegistration;
import dev.tokenkeeper.application.Resilience;
import dev.tokenkeeper.application.TokenManager;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.RetryStrategy;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.Grant;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.spi.TokenRequest;
import dev.tokenkeeper.domain.spi.TokenResponse;
import dev.tokenkeeper.testsupport.TestClock;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.http.MockWebServerWrapper;
import no.nav.security.mock.oauth2.token.OAuth2TokenProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Refresh-token rotation and the {@code invalid_grant} fallback against mock-oauth2-server's refresh
 * flow, with rotation on: each refresh returns a new refresh token and spends the old one. Refresh
 * tokens are issued by the authorization-code flow, so the client's primary (re-authentication)
 * grant here logs in through the server's non-interactive {@code /authorize}: a stand-in for a CLI
 * that logs in again with what it has stored.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RefreshTokenRotationIT {

    private static final String ISSUER = "tokenkeeper";
    private static final String CLIENT_ID = "cli-app";
    private static final TokenKey KEY = TokenKey.of("login");
    /** Mock-oauth2-server's tokens live an hour: with the test policy they are refresh-due after 2850 s, expired after 3570 s. */
    private static final Duration INTO_REFRESH_WINDOW = Duration.ofSeconds(3000);
    private static final Duration PAST_EXPIRY = Duration.ofSeconds(3600);

    private final SecretScanner scanner = new SecretScanner();
    private final String clientSecret = scanner.secret("rot-secret-" + UUID.randomUUID());
    private MockOAuth2Server server;
    private VertxTokenEndpoint endpoint;
    private TestClock clock;
    private Fixture.Events events;
    private TokenManager manager;

    @BeforeAll
    void start() {
        quietMockServerLogs();
        server = new MockOAuth2Server(new OAuth2Config(false, null, null, true, new OAuth2TokenProvider(), Set.of(),
                new MockWebServerWrapper()));
        server.start();
        endpoint = VertxTokenEndpoint.builder(server.tokenEndpointUrl(ISSUER).uri(), CLIENT_ID, Secret.of(clientSecret))
                .build();
    }

    @AfterAll
    void stop() {
        endpoint.close();
        server.shutdown();
        scanner.close();
    }

    @BeforeEach
    void newManager() {
        clock = TestClock.fixed();
        events = new Fixture.Events();
        // the first request to a fresh server can be slow: timeouts here bound, they are not under test
        Resilience patient = new Resilience(RetryStrategy.none(), Duration.ofSeconds(10), Duration.ofSeconds(10), 5,
                Duration.ofSeconds(30), 1);
        manager = TokenManager.builder()
                .clock(clock)
                .expiryPolicy(Fixture.POLICY)
                .client(new ClientRegistration(KEY.client(), endpoint, new AuthorizationCodeLogin()))
                .resilience(patient)
                .proactiveRefresh(false)
                .listener(events)
                .executor(Runnable::run) // for Fixture.startRefreshIfDue
                .build();
    }

    @AfterEach
    void closeManager() {
        manager.close();
        events.all().forEach(scanner::seen);
    }

    @Test
    @DisplayName("each refresh uses the latest rotated refresh token; the spent one is refused by the server")
    void rotation() {
        AccessToken first = served();
        Secret rt1 = first.refreshToken().orElseThrow();
        // the success event follows installation, so it may trail the call that returned the token
        events.await(TokenEvent.AcquisitionSucceeded.class, e -> true, 1);
        assertThat(grantTypesSucceeded()).containsExactly("authorization_code");

        AccessToken second = refreshInBackground();
        Secret rt2 = second.refreshToken().orElseThrow();
        assertThat(second.sameValueAs(first)).isFalse();
        assertThat(rt2).as("rotated").isNotEqualTo(rt1);
        assertThat(redeemDirectly(rt1)).as("the spent refresh token").isEqualTo(FailureKind.INVALID_GRANT);

        AccessToken third = refreshInBackground();
        assertThat(third.sameValueAs(second)).isFalse();
        assertThat(third.refreshToken().orElseThrow()).isNotEqualTo(rt2);
        // the success event follows installation, so it may trail the call that returned the token
        events.await(TokenEvent.AcquisitionSucceeded.class, e -> true, 3);
        assertThat(grantTypesSucceeded()).containsExactly("authorization_code", "refresh_token", "refresh_token");
        assertThat(events.of(TokenEvent.AcquisitionFailed.class)).as("no refresh used a spent token").isEmpty();
    }

    @Test
    @DisplayName("invalid_grant on a background refresh: the client logs in again, callers never notice")
    void invalidGrantInBackground() {
        AccessToken first = served();
        spendElsewhere(first.refreshToken().orElseThrow());
        clock.advance(INTO_REFRESH_WINDOW);
        Fixture.Tally tally = new Fixture.Tally();

        long ended = events.backgroundEnded();
        assertThat(Fixture.startRefreshIfDue(manager, events, KEY)).isTrue();
        callMany(tally);
        events.await(TokenEvent.AcquisitionSucceeded.class, TokenEvent.AcquisitionSucceeded::background, 1);
        Fixture.awaitTokenOtherThan(manager, KEY, first);
        callMany(tally);

        assertThat(events.of(TokenEvent.AcquisitionFailed.class)).singleElement().satisfies(e -> {
            assertThat(e.grantType()).isEqualTo("refresh_token");
            assertThat(e.kind()).isEqualTo(FailureKind.INVALID_GRANT);
            assertThat(e.background()).isTrue();
        });
        // the success event follows installation, so it may trail the call that returned the token
        events.await(TokenEvent.AcquisitionSucceeded.class, e -> true, 2);
        assertThat(grantTypesSucceeded()).containsExactly("authorization_code", "authorization_code");
        assertThat(tally.failures.get()).isZero();
        assertThat(tally.expiredByServer.get() + tally.expiredByPolicy.get()).isZero();
        AccessToken relogged = served();
        assertThat(relogged.sameValueAs(first)).isFalse();
        assertThat(events.backgroundEnded()).isGreaterThan(ended);

        AccessToken refreshed = refreshInBackground();
        assertThat(refreshed.sameValueAs(relogged)).as("the new login's refresh token works").isFalse();
        assertThat(grantTypesSucceeded()).endsWith("refresh_token");
    }

    @Test
    @DisplayName("invalid_grant when the token has expired: the blocked caller gets a token from a new login, not an error")
    void invalidGrantAfterExpiry() {
        AccessToken first = served();
        spendElsewhere(first.refreshToken().orElseThrow());
        clock.advance(PAST_EXPIRY);
        Fixture.Tally tally = new Fixture.Tally();

        tallyCall(tally);

        assertThat(tally.failures.get()).isZero();
        assertThat(tally.expiredByServer.get() + tally.expiredByPolicy.get()).isZero();
        assertThat(tally.served).singleElement().satisfies(t -> assertThat(t.sameValueAs(first)).isFalse());
        assertThat(events.of(TokenEvent.AcquisitionFailed.class))
                .extracting(TokenEvent.AcquisitionFailed::kind)
                .containsExactly(FailureKind.INVALID_GRANT);
        // the success event follows installation, so it may trail the call that returned the token
        events.await(TokenEvent.AcquisitionSucceeded.class, e -> true, 2);
        assertThat(grantTypesSucceeded()).containsExactly("authorization_code", "authorization_code");
    }

    // ------------------------------------------------------------------------------------------

    private AccessToken served() {
        AccessToken t = manager.token(KEY);
        scanner.secret(t.value().reveal());
        t.refreshToken().ifPresent(rt -> scanner.secret(rt.reveal()));
        scanner.seen(t);
        return t;
    }

    /** Moves into the refresh window, runs the due refresh and waits for it. */
    private AccessToken refreshInBackground() {
        AccessToken before = manager.token(KEY);
        clock.advance(INTO_REFRESH_WINDOW);
        long ended = events.backgroundEnded();
        assertThat(Fixture.startRefreshIfDue(manager, events, KEY)).isTrue();
        events.awaitBackgroundEnded(ended);
        assertThat(events.of(TokenEvent.AcquisitionSucceeded.class)).last()
                .satisfies(e -> assertThat(e.background()).isTrue());
        Fixture.awaitTokenOtherThan(manager, KEY, before);
        return served();
    }

    private void callMany(Fixture.Tally tally) {
        for (int i = 0; i < 50; i++) {
            tallyCall(tally);
        }
    }

    private void tallyCall(Fixture.Tally tally) {
        java.time.Instant before = clock.instant();
        tally.calls.incrementAndGet();
        try {
            AccessToken t = served();
            tally.served.add(t);
            if (!t.expiresAt().isAfter(before)) {
                tally.expiredByServer.incrementAndGet();
            }
            if (Fixture.POLICY.freshness(t, before) == dev.tokenkeeper.domain.Freshness.EXPIRED) {
                tally.expiredByPolicy.incrementAndGet();
            }
        } catch (TokenException e) {
            tally.failures.incrementAndGet();
            scanner.seen(e);
        }
    }

    /** Another holder of the refresh token redeems it: the server rotates it, and ours is spent. */
    private void spendElsewhere(Secret refreshToken) {
        TokenResponse r = endpoint.request(new TokenRequest(KEY, new Grant.RefreshToken(refreshToken)))
                .toCompletableFuture().orTimeout(Fixture.PATIENCE.toSeconds(), TimeUnit.SECONDS).join();
        scanner.secret(r.accessToken().reveal());
        scanner.secret(r.refreshToken().reveal());
    }

    /** Redeems {@code refreshToken} outside the manager and says how the server refused it. */
    private FailureKind redeemDirectly(Secret refreshToken) {
        CompletionException e = catchThrowableOfType(CompletionException.class,
                () -> endpoint.request(new TokenRequest(KEY, new Grant.RefreshToken(refreshToken)))
                        .toCompletableFuture().orTimeout(Fixture.PATIENCE.toSeconds(), TimeUnit.SECONDS).join());
        assertThat(e).as("the server refused it").isNotNull();
        scanner.seen(e);
        return ((TokenException) e.getCause()).kind();
    }

    private java.util.List<String> grantTypesSucceeded() {
        return events.of(TokenEvent.AcquisitionSucceeded.class).stream()
                .map(TokenEvent.AcquisitionSucceeded::grantType).toList();
    }

    /** mock-oauth2-server logs refresh tokens at DEBUG: it is a test IdP, not the code under test. */
    private static void quietMockServerLogs() {
        if (org.slf4j.LoggerFactory.getLogger("no.nav.security.mock.oauth2") instanceof ch.qos.logback.classic.Logger l) {
            l.setLevel(ch.qos.logback.classic.Level.INFO);
        }
    }

    /**
     * A re-authentication grant: gets an authorization code from the mock server's non-interactive
     * {@code /authorize} (which redirects at once with a code) and redeems it. Its secrets (the code)
     * show in no {@code toString}.
     */
    private final class AuthorizationCodeLogin implements Grant {
        private static final String REDIRECT = "http://127.0.0.1/callback";
        private final HttpClient http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(5))
                .build();

        @Override
        public String grantType() {
            return "authorization_code";
        }

        @Override
        public void writeParameters(BiConsumer<String, String> form) {
            form.accept("grant_type", grantType());
            form.accept("code", scanner.secret(code()));
            form.accept("redirect_uri", REDIRECT);
        }

        private String code() {
            URI authorize = URI.create(server.authorizationEndpointUrl(ISSUER) + "?response_type=code&client_id="
                    + CLIENT_ID + "&scope=openid&state=s1&nonce=n1&redirect_uri="
                    + URLEncoder.encode(REDIRECT, StandardCharsets.UTF_8));
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(authorize).timeout(Duration.ofSeconds(5)).GET().build(),
                        HttpResponse.BodyHandlers.discarding());
                String location = r.headers().firstValue("Location").orElseThrow(
                        () -> new IllegalStateException("no redirect from /authorize (status " + r.statusCode() + ")"));
                for (String pair : URI.create(location).getRawQuery().split("&")) {
                    if (pair.startsWith("code=")) {
                        return URLDecoder.decode(pair.substring(5), StandardCharsets.UTF_8);
                    }
                }
                throw new IllegalStateException("no code in the redirect from /authorize");
            } catch (IOException e) {
                throw new IllegalStateException("the login failed", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted during the login", e);
            }
        }

        @Override
        public String toString() {
            return "AuthorizationCodeLogin[" + CLIENT_ID + "]";
        }
    }
}
