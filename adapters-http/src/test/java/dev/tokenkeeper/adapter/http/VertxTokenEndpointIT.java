package dev.tokenkeeper.adapter.http;

import dev.tokenkeeper.testsupport.SecretScanner;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.Grant;
import dev.tokenkeeper.domain.spi.TokenRequest;
import dev.tokenkeeper.domain.spi.TokenResponse;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@link VertxTokenEndpoint} against a real OAuth 2.0 server: mock-oauth2-server, started in this
 * JVM on a loopback port. It issues signed JWTs for any client id and secret.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VertxTokenEndpointIT {

    private static final String ISSUER = "tokenkeeper";
    private static final String CLIENT_ID = "orders-service";

    private final SecretScanner scanner = new SecretScanner();
    private final String clientSecret = scanner.secret("it-secret-" + UUID.randomUUID());
    private MockOAuth2Server server;
    private URI tokenUrl;

    @BeforeAll
    void start() {
        server = new MockOAuth2Server();
        server.start();
        tokenUrl = server.tokenEndpointUrl(ISSUER).uri();
    }

    @AfterAll
    void stop() {
        server.shutdown();
        scanner.close();
    }

    private TokenResponse request(ClientAuthentication auth, TokenKey key) throws Exception {
        try (VertxTokenEndpoint endpoint = VertxTokenEndpoint.builder(tokenUrl, CLIENT_ID, Secret.of(clientSecret))
                .clientAuthentication(auth)
                .build()) {
            TokenResponse r = endpoint.request(new TokenRequest(key, Grant.ClientCredentials.INSTANCE))
                    .toCompletableFuture().get(20, TimeUnit.SECONDS);
            scanner.secret(r.accessToken().reveal());
            scanner.seen(r);
            return r;
        } catch (ExecutionException e) {
            scanner.seen(e.getCause());
            throw e;
        }
    }

    private RecordedRequest lastTokenRequest() throws InterruptedException {
        RecordedRequest last = null;
        while (true) {
            try {
                last = server.takeRequest(200, TimeUnit.MILLISECONDS);
            } catch (RuntimeException queueEmpty) { // mock-oauth2-server's way of saying "no more"
                break;
            }
        }
        assertThat(last).as("a request reached the server").isNotNull();
        return last;
    }

    private static JsonObject claims(TokenResponse r) {
        String[] parts = r.accessToken().reveal().split("\\.");
        assertThat(parts).as("a three-part JWT").hasSize(3);
        return new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("client credentials with client_secret_basic and scopes")
    void basic() throws Exception {
        TokenResponse r = request(ClientAuthentication.CLIENT_SECRET_BASIC, TokenKey.of("orders", "orders.read", "orders.write"));

        assertThat(r.tokenType()).isEqualToIgnoringCase("Bearer");
        assertThat(r.expiresIn()).isPositive();
        assertThat(claims(r).getString("iss")).endsWith("/" + ISSUER);
        RecordedRequest req = lastTokenRequest();
        assertThat(req.getHeader("Authorization")).startsWith("Basic ");
        String body = req.getBody().readUtf8();
        assertThat(body).contains("grant_type=client_credentials", "scope=orders.read+orders.write")
                .doesNotContain("client_secret");
    }

    @Test
    @DisplayName("client credentials with client_secret_post")
    void post() throws Exception {
        TokenResponse r = request(ClientAuthentication.CLIENT_SECRET_POST, TokenKey.of("orders", "orders.read"));

        assertThat(claims(r).getString("sub")).isNotBlank();
        RecordedRequest req = lastTokenRequest();
        assertThat(req.getHeader("Authorization")).isNull();
        assertThat(req.getBody().readUtf8()).contains("client_id=" + CLIENT_ID, "client_secret=");
    }

    @Test
    @DisplayName("the audience parameter reaches the server")
    void audience() throws Exception {
        TokenResponse r = request(ClientAuthentication.CLIENT_SECRET_BASIC,
                TokenKey.builder("orders").scopes("orders.read").audience("api://orders").build());

        assertThat(r.accessToken().reveal()).isNotBlank();
        assertThat(lastTokenRequest().getBody().readUtf8()).contains("audience=api%3A%2F%2Forders");
    }

    @Test
    @DisplayName("a short-lived issuer's expires_in is honoured")
    void shortLived() throws Exception {
        server.enqueueCallback(new DefaultOAuth2TokenCallback(ISSUER, "orders-service", "JWT", List.of("api://orders"),
                Map.of(), 7));
        TokenResponse r = request(ClientAuthentication.CLIENT_SECRET_BASIC, TokenKey.of("orders", "orders.read"));

        // the server computes expires_in as exp minus its own now, so a second may have passed
        assertThat(r.expiresIn()).isBetween(Duration.ofSeconds(6), Duration.ofSeconds(7));
        JsonObject claims = claims(r);
        assertThat(claims.getLong("exp") - claims.getLong("iat")).isEqualTo(7);
        lastTokenRequest();
    }

    @Test
    @DisplayName("the JWT validator accepts the server's RS256 tokens")
    void validator() throws Exception {
        try (VertxTokenEndpoint endpoint = VertxTokenEndpoint.builder(tokenUrl, CLIENT_ID, Secret.of(clientSecret))
                .validator(TokenResponseValidator.jwt(java.util.Set.of("RS256")))
                .build()) {
            TokenResponse r = endpoint.request(new TokenRequest(TokenKey.of("orders", "orders.read"),
                    Grant.ClientCredentials.INSTANCE)).toCompletableFuture().get(20, TimeUnit.SECONDS);
            scanner.secret(r.accessToken().reveal());
            assertThat(r.accessToken().reveal()).isNotBlank();
        }
        lastTokenRequest();
    }

    @Test
    @DisplayName("an unknown grant type is refused by the server with a permanent failure")
    void unsupportedGrant() throws Exception {
        Grant bogus = new Grant() {
            @Override
            public String grantType() {
                return "urn:example:bogus";
            }

            @Override
            public void writeParameters(java.util.function.BiConsumer<String, String> form) {
                form.accept("grant_type", grantType());
            }
        };
        try (VertxTokenEndpoint endpoint = VertxTokenEndpoint.builder(tokenUrl, CLIENT_ID, Secret.of(clientSecret)).build()) {
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> endpoint.request(new TokenRequest(TokenKey.of("orders"), bogus)).toCompletableFuture()
                            .get(20, TimeUnit.SECONDS));
            scanner.seen(e.getCause());
            assertThat(e.getCause()).isInstanceOf(TokenException.class);
            TokenException te = (TokenException) e.getCause();
            assertThat(te.isTransient()).as(te.toString()).isFalse();
            assertThat(te.kind()).isNotEqualTo(FailureKind.MALFORMED_RESPONSE);
        }
        lastTokenRequest();
    }
}
