package dev.tokenkeeper.adapter.http;

import dev.tokenkeeper.fakeidp.FakeIdp.RecordedRequest;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.fakeidp.FakeIdp.Response;
import dev.tokenkeeper.testsupport.SecretScanner;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.Grant;
import dev.tokenkeeper.domain.spi.TokenRequest;
import dev.tokenkeeper.domain.spi.TokenResponse;
import dev.tokenkeeper.testsupport.RequiredServers;
import io.vertx.core.Vertx;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** {@link VertxTokenEndpoint} against a loopback server that misbehaves on purpose. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VertxTokenEndpointFaultTest {

    private static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
    private static final InstantSource CLOCK = InstantSource.fixed(NOW);
    private static final String CLIENT_ID = "client:id é";
    private static final TokenKey KEY = TokenKey.builder("reg").scopes("write", "read").audience("api://orders")
            .resource("https://orders.example/").build();

    private final SecretScanner scanner = new SecretScanner();
    private final String clientSecret = scanner.secret("s3cr3t+/&=é-" + UUID.randomUUID());
    private final String opaqueToken = scanner.secret("opaque-" + UUID.randomUUID());
    private final String refreshToken = scanner.secret("refresh-" + UUID.randomUUID());
    private FakeIdp idp;
    private VertxTokenEndpoint endpoint;

    @BeforeAll
    void startServer() {
        idp = FakeIdp.start();
        endpoint = endpoint(b -> b);
    }

    @AfterAll
    void stop() {
        endpoint.close();
        idp.close();
        scanner.close();
        assertThat(scanner.scannedTexts()).as("texts scanned for secrets").isGreaterThan(50);
    }

    @BeforeEach
    void resetServer() {
        idp.reset();
    }

    @AfterEach
    void collectIssuedTokens() {
        idp.issuedTokens().forEach(scanner::secret);
        scanner.assertClean();
    }

    private VertxTokenEndpoint endpoint(UnaryOperator<VertxTokenEndpoint.Builder> settings) {
        VertxTokenEndpoint.Builder b = VertxTokenEndpoint.builder(idp.tokenUri(), CLIENT_ID, Secret.of(clientSecret))
                .clock(CLOCK)
                .requestTimeout(Duration.ofSeconds(5));
        VertxTokenEndpoint e = settings.apply(b).build();
        scanner.seen(e);
        return e;
    }

    private TokenResponse success(CompletionStage<TokenResponse> stage) throws Exception {
        TokenResponse r = stage.toCompletableFuture().get(15, TimeUnit.SECONDS);
        scanner.seen(r);
        return r;
    }

    private TokenException failure(CompletionStage<?> stage) throws Exception {
        try {
            stage.toCompletableFuture().get(15, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            scanner.seen(e.getCause());
            assertThat(e.getCause()).isInstanceOf(TokenException.class);
            return (TokenException) e.getCause();
        }
        return fail("expected a failure");
    }

    private CompletionStage<TokenResponse> clientCredentials() {
        return endpoint.request(new TokenRequest(KEY, Grant.ClientCredentials.INSTANCE));
    }

    private TokenException failureFor(Response response) throws Exception {
        idp.respondWith(response);
        return failure(clientCredentials());
    }

    private static String jwt(String header, String payload) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(payload.getBytes(StandardCharsets.UTF_8)) + ".c2lnbmF0dXJl";
    }

    private String tokenJson(String token, String rest) {
        return "{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\"" + rest + "}";
    }

    @Nested
    @DisplayName("a successful token request")
    class Success {

        @Test
        @DisplayName("sends the grant, scope, audience and resource, authenticated with form-encoded Basic credentials")
        void basicAuthentication() throws Exception {
            idp.issueTokens(Duration.ofMinutes(5));
            TokenResponse r = success(clientCredentials());

            assertThat(r.accessToken().reveal()).isEqualTo(idp.issuedTokens().get(0));
            assertThat(r.tokenType()).isEqualTo("Bearer");
            assertThat(r.expiresIn()).isEqualTo(Duration.ofMinutes(5));
            RecordedRequest req = idp.lastRequest();
            assertThat(req.method()).isEqualTo("POST");
            assertThat(req.header("Content-Type")).startsWith("application/x-www-form-urlencoded");
            assertThat(req.form()).containsEntry("grant_type", "client_credentials")
                    .containsEntry("scope", "read write")
                    .containsEntry("audience", "api://orders")
                    .containsEntry("resource", "https://orders.example/")
                    .doesNotContainKeys("client_id", "client_secret");
            String basic = req.header("Authorization");
            assertThat(basic).startsWith("Basic ");
            String decoded = new String(Base64.getDecoder().decode(basic.substring(6)), StandardCharsets.UTF_8);
            // RFC 6749 §2.3.1: id and secret are form-urlencoded before base64
            assertThat(decoded).isEqualTo("client%3Aid+%C3%A9:" + java.net.URLEncoder.encode(clientSecret, StandardCharsets.UTF_8));
            scanner.secret(basic.substring(6));
        }

        @Test
        @DisplayName("sends client_id and client_secret in the body with client_secret_post")
        void postAuthentication() throws Exception {
            try (VertxTokenEndpoint post = endpoint(b -> b.clientAuthentication(ClientAuthentication.CLIENT_SECRET_POST))) {
                idp.issueTokens(Duration.ofMinutes(5));
                success(post.request(new TokenRequest(TokenKey.of("reg"), Grant.ClientCredentials.INSTANCE)));
            }
            RecordedRequest req = idp.lastRequest();
            assertThat(req.header("Authorization")).isNull();
            assertThat(req.form()).containsEntry("client_id", CLIENT_ID)
                    .containsEntry("client_secret", clientSecret)
                    .doesNotContainKey("scope");
        }

        @Test
        @DisplayName("parses scope, refresh_token, a case-insensitive bearer type and a string expires_in")
        void optionalFields() throws Exception {
            idp.respondWith(Response.json(200, "{\"access_token\":\"" + opaqueToken + "\",\"token_type\":\"bearer\","
                    + "\"expires_in\":\"3600\",\"scope\":\"read  write\",\"refresh_token\":\"" + refreshToken + "\"}"));
            TokenResponse r = success(clientCredentials());
            assertThat(r.scopes()).containsExactlyInAnyOrder("read", "write");
            assertThat(r.refreshToken().reveal()).isEqualTo(refreshToken);
            assertThat(r.expiresIn()).isEqualTo(Duration.ofHours(1));
            assertThat(r.tokenType()).isEqualTo("bearer");
        }

        @Test
        @DisplayName("a response without token_type is a Bearer token (issue 12: many IdPs and internal login APIs omit it)")
        void missingTokenTypeIsBearer() throws Exception {
            idp.respondWith(Response.json(200, "{\"access_token\":\"" + opaqueToken + "\",\"expires_in\":60}"));
            TokenResponse r = success(clientCredentials());
            assertThat(r.tokenType()).isEqualTo("Bearer");
            assertThat(r.accessToken().reveal()).isEqualTo(opaqueToken);
        }

        @Test
        @DisplayName("takes the lifetime of a JWT without expires_in from exp, counted by the injected clock")
        void jwtLifetimeFromExp() throws Exception {
            String token = scanner.secret(jwt("{\"alg\":\"RS256\"}", "{\"exp\":" + (NOW.getEpochSecond() + 1234) + "}"));
            idp.respondWith(Response.json(200, tokenJson(token, "")));
            assertThat(success(clientCredentials()).expiresIn()).isEqualTo(Duration.ofSeconds(1234));
        }

        @Test
        @DisplayName("gives an opaque token without expires_in the configured default lifetime")
        void opaqueTokenDefaultLifetime() throws Exception {
            try (VertxTokenEndpoint e = endpoint(b -> b.defaultLifetime(Duration.ofSeconds(77)))) {
                idp.respondWith(Response.json(200, tokenJson(opaqueToken, "")));
                assertThat(success(e.request(new TokenRequest(KEY, Grant.ClientCredentials.INSTANCE))).expiresIn())
                        .isEqualTo(Duration.ofSeconds(77));
            }
            idp.respondWith(Response.json(200, tokenJson("two.dots.opaque", "")));
            assertThat(success(clientCredentials()).expiresIn()).isEqualTo(VertxTokenEndpoint.DEFAULT_LIFETIME);
        }

        @Test
        @DisplayName("accepts DPoP only when configured")
        void dpop() throws Exception {
            String body = "{\"access_token\":\"" + opaqueToken + "\",\"token_type\":\"DPoP\",\"expires_in\":60}";
            idp.respondWith(Response.json(200, body));
            assertThat(failure(clientCredentials()).kind()).isEqualTo(FailureKind.MALFORMED_RESPONSE);
            try (VertxTokenEndpoint e = endpoint(b -> b.acceptedTokenTypes("Bearer", "DPoP"))) {
                idp.respondWith(Response.json(200, body));
                assertThat(success(e.request(new TokenRequest(KEY, Grant.ClientCredentials.INSTANCE))).tokenType())
                        .isEqualTo("DPoP");
            }
        }

        @Test
        @DisplayName("sends a refresh-token grant's token only in the body, and redacts it from error descriptions")
        void refreshGrant() throws Exception {
            idp.respondWith(Response.json(400, "{\"error\":\"invalid_grant\",\"error_description\":\"token "
                    + refreshToken + " expired\"}"));
            TokenException e = failure(endpoint.request(new TokenRequest(KEY, new Grant.RefreshToken(Secret.of(refreshToken)))));
            assertThat(e.kind()).isEqualTo(FailureKind.INVALID_GRANT);
            assertThat(e.getMessage()).contains("token [redacted] expired");
            assertThat(idp.lastRequest().form()).containsEntry("grant_type", "refresh_token")
                    .containsEntry("refresh_token", refreshToken);
        }
    }

    @Nested
    @DisplayName("an error answer")
    class Errors {

        @Test
        @DisplayName("400 with an RFC 6749 error body maps the code, and sanitizes the description")
        void badRequest() throws Exception {
            TokenException e = failureFor(Response.json(400, "{\"error\":\"invalid_scope\",\"error_description\":"
                    + "\"scope bad for secret " + clientSecret + "\\r\\nX-Injected: yes\\u0000" + "x".repeat(500) + "\"}"));
            assertThat(e.kind()).isEqualTo(FailureKind.INVALID_SCOPE);
            assertThat(e.httpStatus()).hasValue(400);
            assertThat(e.oauthError()).hasValue("invalid_scope");
            assertThat(e.isTransient()).isFalse();
            assertThat(e.getMessage()).contains("[redacted]").doesNotContain("\r", "\n", "\u0000")
                    .hasSizeLessThan(500);
        }

        @Test
        @DisplayName("401 is a failed client authentication (RFC 6749 §5.2): INVALID_CLIENT, with or without a code")
        void unauthorized() throws Exception {
            TokenException e = failureFor(Response.status(401));
            assertThat(e.kind()).isEqualTo(FailureKind.INVALID_CLIENT);
            assertThat(e.httpStatus()).hasValue(401);
            e = failureFor(Response.json(401, "{\"error\":\"unauthorized_client\"}"));
            assertThat(e.kind()).isEqualTo(FailureKind.INVALID_CLIENT);
            assertThat(e.oauthError()).as("the IdP's own code is kept").hasValue("unauthorized_client");
            e = failureFor(Response.json(401, "{\"error\":\"invalid_grant\"}"));
            assertThat(e.kind()).as("a more specific code keeps its kind").isEqualTo(FailureKind.INVALID_GRANT);
        }

        @Test
        @DisplayName("another 4xx without a code is REJECTED")
        void forbidden() throws Exception {
            assertThat(failureFor(Response.status(403)).kind()).isEqualTo(FailureKind.REJECTED);
            assertThat(failureFor(Response.json(400, "not json")).kind()).isEqualTo(FailureKind.REJECTED);
        }

        @Test
        @DisplayName("500 is SERVER_ERROR, transient")
        void serverError() throws Exception {
            TokenException e = failureFor(Response.json(500, "{\"error\":\"server_error\"}"));
            assertThat(e.kind()).isEqualTo(FailureKind.SERVER_ERROR);
            assertThat(e.isTransient()).isTrue();
            assertThat(e.retryAfter()).isEmpty();
        }

        @Test
        @DisplayName("429 is RATE_LIMITED with Retry-After in seconds or as an HTTP date")
        void rateLimited() throws Exception {
            TokenException e = failureFor(Response.status(429).withHeader("Retry-After", "7"));
            assertThat(e.kind()).isEqualTo(FailureKind.RATE_LIMITED);
            assertThat(e.retryAfter()).hasValue(Duration.ofSeconds(7));
            String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(NOW.plusSeconds(90).atOffset(ZoneOffset.UTC));
            e = failureFor(Response.status(429).withHeader("Retry-After", date));
            assertThat(e.retryAfter()).hasValue(Duration.ofSeconds(90));
        }

        @Test
        @DisplayName("503 with Retry-After is RATE_LIMITED, without it SERVER_ERROR")
        void unavailable() throws Exception {
            TokenException e = failureFor(Response.status(503).withHeader("Retry-After", "3"));
            assertThat(e.kind()).isEqualTo(FailureKind.RATE_LIMITED);
            assertThat(e.retryAfter()).hasValue(Duration.ofSeconds(3));
            assertThat(failureFor(Response.status(503)).kind()).isEqualTo(FailureKind.SERVER_ERROR);
        }

        @Test
        @DisplayName("a redirect is not followed and is REJECTED")
        void redirect() throws Exception {
            TokenException e = failureFor(Response.status(302).withHeader("Location", idp.uri("/elsewhere").toString()));
            assertThat(e.kind()).isEqualTo(FailureKind.REJECTED);
            assertThat(idp.requestCount()).isEqualTo(1);
        }
    }

    /**
     * Issue 16: the kind and hint for what real IdPs send. Bodies as Keycloak 26, Okta, Entra ID
     * and Auth0 document or send them; every one is permanent, so that the manager can throttle it.
     */
    @Nested
    @DisplayName("client authentication failures as real IdPs send them")
    class IdpShapes {

        private static final String CLIENT_AUTH_HINT = "rejected the client authentication";
        private static final String GRANT_HINT = "may not use this grant";

        private TokenException assertKind(int status, String body, FailureKind kind, String oauthError) throws Exception {
            TokenException e = failureFor(Response.json(status, body));
            assertThat(e.kind()).as(body).isEqualTo(kind);
            assertThat(e.isTransient()).isFalse();
            assertThat(e.httpStatus()).hasValue(status);
            assertThat(e.oauthError()).hasValue(oauthError);
            return e;
        }

        @Test
        @DisplayName("Keycloak, wrong secret: 401 unauthorized_client is a rejected client authentication, not a grant problem")
        void keycloakWrongSecret() throws Exception {
            TokenException e = assertKind(401, "{\"error\":\"unauthorized_client\",\"error_description\":\"Invalid client or "
                    + "Invalid client credentials\"}", FailureKind.INVALID_CLIENT, "unauthorized_client");
            assertThat(e.getMessage())
                    .contains("HTTP 401 unauthorized_client (Invalid client or Invalid client credentials)", CLIENT_AUTH_HINT,
                            "client secret", "rotated", "client_secret_basic or client_secret_post")
                    .doesNotContain("grant");
        }

        @Test
        @DisplayName("Keycloak, unknown client: 401 invalid_client")
        void keycloakUnknownClient() throws Exception {
            TokenException e = assertKind(401, "{\"error\":\"invalid_client\",\"error_description\":\"Invalid client or "
                    + "Invalid client credentials\"}", FailureKind.INVALID_CLIENT, "invalid_client");
            assertThat(e.getMessage()).contains(CLIENT_AUTH_HINT, "client id");
        }

        @Test
        @DisplayName("Keycloak, service accounts disabled: 400 unauthorized_client names the grant")
        void keycloakNoServiceAccount() throws Exception {
            TokenException e = assertKind(400, "{\"error\":\"unauthorized_client\",\"error_description\":\"Client not "
                    + "enabled to retrieve service account\"}", FailureKind.UNAUTHORIZED_CLIENT, "unauthorized_client");
            assertThat(e.getMessage()).contains(GRANT_HINT, "service accounts").doesNotContain(CLIENT_AUTH_HINT);
        }

        @Test
        @DisplayName("Okta: 401 invalid_client for a wrong secret, 400 unauthorized_client for a grant not allowed")
        void okta() throws Exception {
            assertThat(assertKind(401, "{\"error\":\"invalid_client\",\"error_description\":\"The client secret supplied "
                    + "for a confidential client is invalid.\"}", FailureKind.INVALID_CLIENT, "invalid_client").getMessage())
                    .contains(CLIENT_AUTH_HINT);
            assertThat(assertKind(400, "{\"error\":\"unauthorized_client\",\"error_description\":\"The client is not "
                    + "authorized to use the provided grant type. Configured grant types: [authorization_code].\"}",
                    FailureKind.UNAUTHORIZED_CLIENT, "unauthorized_client").getMessage()).contains(GRANT_HINT);
        }

        @Test
        @DisplayName("Entra ID: 401 invalid_client (bad or expired secret), 400 invalid_client, 400 unauthorized_client (unknown app)")
        void entra() throws Exception {
            String entra = ",\"error_codes\":[7000215],\"timestamp\":\"2030-01-01 00:00:00Z\",\"trace_id\":\"t\"}";
            assertThat(assertKind(401, "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid "
                    + "client secret provided. Ensure the secret being sent in the request is the client secret value, not "
                    + "the client secret ID.\"" + entra, FailureKind.INVALID_CLIENT, "invalid_client").getMessage())
                    .contains("AADSTS7000215", CLIENT_AUTH_HINT);
            assertThat(assertKind(401, "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000222: The provided "
                    + "client secret keys for app 'a' are expired.\"" + entra, FailureKind.INVALID_CLIENT, "invalid_client")
                    .getMessage()).contains("expired");
            assertThat(assertKind(400, "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000218: The request "
                    + "body must contain the following parameter: 'client_assertion' or 'client_secret'.\"" + entra,
                    FailureKind.INVALID_CLIENT, "invalid_client").getMessage()).contains(CLIENT_AUTH_HINT);
            assertThat(assertKind(400, "{\"error\":\"unauthorized_client\",\"error_description\":\"AADSTS700016: "
                    + "Application with identifier 'x' was not found in the directory 'y'.\"" + entra,
                    FailureKind.UNAUTHORIZED_CLIENT, "unauthorized_client").getMessage())
                    .contains(GRANT_HINT, "does not know it", "client id");
        }

        @Test
        @DisplayName("Auth0: 401 access_denied for a wrong secret is INVALID_CLIENT; 403 unauthorized_client names the grant")
        void auth0() throws Exception {
            assertThat(assertKind(401, "{\"error\":\"access_denied\",\"error_description\":\"Unauthorized\"}",
                    FailureKind.INVALID_CLIENT, "access_denied").getMessage()).contains(CLIENT_AUTH_HINT);
            assertThat(assertKind(403, "{\"error\":\"unauthorized_client\",\"error_description\":\"Grant type "
                    + "'client_credentials' not allowed for the client.\",\"error_uri\":\"https://auth0.com/docs/clients/"
                    + "client-grant-types\"}", FailureKind.UNAUTHORIZED_CLIENT, "unauthorized_client").getMessage())
                    .contains(GRANT_HINT);
        }
    }

    @Nested
    @DisplayName("an unusable 200 answer is MALFORMED_RESPONSE")
    class Malformed {

        private void assertMalformed(String body) throws Exception {
            TokenException e = failureFor(Response.json(200, body));
            assertThat(e.kind()).as(body).isEqualTo(FailureKind.MALFORMED_RESPONSE);
            assertThat(e.isTransient()).isFalse();
        }

        @Test
        void brokenJsonThatQuotesTheToken() throws Exception {
            assertMalformed("{\"access_token\":\"" + opaqueToken + "\", oops");
        }

        @Test
        void notAnObject() throws Exception {
            assertMalformed("[\"" + opaqueToken + "\"]");
            assertMalformed("");
        }

        @Test
        void missingOrEmptyAccessToken() throws Exception {
            assertMalformed("{\"token_type\":\"Bearer\",\"expires_in\":60}");
            assertMalformed("{\"access_token\":\"\",\"token_type\":\"Bearer\",\"expires_in\":60}");
            assertMalformed("{\"access_token\":42,\"token_type\":\"Bearer\",\"expires_in\":60}");
        }

        @Test
        void accessTokenThatWouldSplitAHeader() throws Exception {
            assertMalformed(tokenJson(opaqueToken + "\\r\\nX: y", ",\"expires_in\":60"));
        }

        @Test
        void unknownOrBlankTokenType() throws Exception {
            assertMalformed("{\"access_token\":\"" + opaqueToken + "\",\"token_type\":\"mac\",\"expires_in\":60}");
            assertMalformed("{\"access_token\":\"" + opaqueToken + "\",\"token_type\":\" \",\"expires_in\":60}");
            assertMalformed("{\"access_token\":\"" + opaqueToken + "\",\"token_type\":7,\"expires_in\":60}");
        }

        @Test
        void expiresInNotPositiveOrHuge() throws Exception {
            assertMalformed(tokenJson(opaqueToken, ",\"expires_in\":-5"));
            assertMalformed(tokenJson(opaqueToken, ",\"expires_in\":0"));
            assertMalformed(tokenJson(opaqueToken, ",\"expires_in\":3600000000"));
            assertMalformed(tokenJson(opaqueToken, ",\"expires_in\":1e300"));
            assertMalformed(tokenJson(opaqueToken, ",\"expires_in\":\"soon\""));
        }

        @Test
        @DisplayName("a field that echoes the answer's own tokens shows neither")
        void echoedTokens() throws Exception {
            TokenException e = failureFor(Response.json(200, "{\"access_token\":\"" + opaqueToken + "\",\"refresh_token\":\""
                    + refreshToken + "\",\"token_type\":\"Bearer " + opaqueToken + "\",\"expires_in\":60}"));
            assertThat(e.kind()).isEqualTo(FailureKind.MALFORMED_RESPONSE);
            assertThat(e.getMessage()).contains("token_type 'Bearer [redacted]'");
            e = failureFor(Response.json(200, "{\"refresh_token\":\"" + refreshToken + "\",\"error\":\"invalid_grant\","
                    + "\"error_description\":\"see " + refreshToken + "\"}"));
            assertThat(e.getMessage()).contains("see [redacted]");
        }

        @Test
        void jwtAlreadyExpired() throws Exception {
            String token = scanner.secret(jwt("{\"alg\":\"RS256\"}", "{\"exp\":" + (NOW.getEpochSecond() - 10) + "}"));
            assertMalformed(tokenJson(token, ""));
        }

        @Test
        @DisplayName("a chunked body over the limit fails without being read whole")
        void chunkedOversize() throws Exception {
            try (VertxTokenEndpoint e = endpoint(b -> b.maxResponseBytes(4096))) {
                idp.respondWith(Response.oversizedBody(2 * 1024 * 1024));
                TokenException ex = failure(e.request(new TokenRequest(KEY, Grant.ClientCredentials.INSTANCE)));
                assertThat(ex.kind()).isEqualTo(FailureKind.MALFORMED_RESPONSE);
                assertThat(ex.getMessage()).contains("maxResponseBytes 4096");
            }
        }

        @Test
        @DisplayName("a Content-Length body over the default 64 KiB limit fails")
        void fixedLengthOversize() throws Exception {
            assertMalformed(tokenJson(opaqueToken, ",\"expires_in\":60,\"pad\":\"" + "p".repeat(70_000) + "\""));
        }
    }

    @Nested
    @DisplayName("a transport failure")
    class Transport {

        @Test
        @DisplayName("a server that never answers fails with TIMEOUT, about when the request timeout passes")
        void hang() throws Exception {
            try (VertxTokenEndpoint e = endpoint(b -> b.requestTimeout(Duration.ofMillis(300)).connectTimeout(Duration.ofMillis(300)))) {
                idp.respondWith(Response.hang());
                long start = System.nanoTime();
                TokenException ex = failure(e.request(new TokenRequest(KEY, Grant.ClientCredentials.INSTANCE)));
                assertThat(ex.kind()).isEqualTo(FailureKind.TIMEOUT);
                assertThat(ex.isTransient()).isTrue();
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
            }
        }

        @Test
        @DisplayName("a slow answer past the timeout fails with TIMEOUT")
        void slow() throws Exception {
            try (VertxTokenEndpoint e = endpoint(b -> b.requestTimeout(Duration.ofMillis(300)).connectTimeout(Duration.ofMillis(300)))) {
                idp.respondWith(Response.tokens(Duration.ofMinutes(1)).withDelay(Duration.ofSeconds(3)));
                assertThat(failure(e.request(new TokenRequest(KEY, Grant.ClientCredentials.INSTANCE))).kind())
                        .isEqualTo(FailureKind.TIMEOUT);
            }
        }

        @Test
        @DisplayName("a refused connection fails with NETWORK")
        void refused() throws Exception {
            URI nothing = URI.create("http://127.0.0.1:" + RequiredServers.freePort() + "/token");
            try (VertxTokenEndpoint e = VertxTokenEndpoint.builder(nothing, CLIENT_ID, Secret.of(clientSecret)).build()) {
                TokenException ex = failure(e.request(new TokenRequest(KEY, Grant.ClientCredentials.INSTANCE)));
                assertThat(ex.kind()).isEqualTo(FailureKind.NETWORK);
                assertThat(ex.isTransient()).isTrue();
            }
        }

        @Test
        @DisplayName("a dropped connection fails with NETWORK, before or during the body")
        void dropped() throws Exception {
            assertThat(failureFor(Response.dropConnection()).kind()).isEqualTo(FailureKind.NETWORK);
            assertThat(failureFor(Response.json(200, tokenJson(opaqueToken, ",\"expires_in\":60")).droppingMidBody()).kind())
                    .isEqualTo(FailureKind.NETWORK);
        }
    }

    @Nested
    @DisplayName("configuration")
    class Configuration {

        @Test
        @DisplayName("http to a remote host is refused at build(), so no request can be sent")
        void insecureRemote() {
            assertThatThrownBy(() -> VertxTokenEndpoint.builder(URI.create("http://idp.example/token"), CLIENT_ID,
                            Secret.of(clientSecret)).build())
                    .isInstanceOf(ConfigurationException.class)
                    .satisfies(t -> scanner.seen(t))
                    .satisfies(t -> assertThat(((TokenException) t).kind()).isEqualTo(FailureKind.BAD_CONFIGURATION))
                    .hasMessageContaining("tokenUrl must use https");
            assertThat(idp.requestCount()).isZero();
        }

        @Test
        @DisplayName("http is allowed to loopback hosts, or explicitly")
        void loopbackAllowed() {
            for (String url : new String[] {"http://127.0.0.2:1/t", "http://[::1]:1/t", "http://LOCALHOST:1/t"}) {
                VertxTokenEndpoint.builder(URI.create(url), CLIENT_ID, Secret.of(clientSecret)).build().close();
            }
            VertxTokenEndpoint.builder(URI.create("http://idp.example/t"), CLIENT_ID, Secret.of(clientSecret))
                    .allowInsecureHttp(true).build().close();
        }

        @Test
        @DisplayName("every out-of-range setting is named with its allowed range, all at once")
        void ranges() {
            assertThatThrownBy(() -> VertxTokenEndpoint.builder(URI.create("https://u:p@idp.example/t"), " ",
                            Secret.of(clientSecret))
                    .requestTimeout(Duration.ZERO)
                    .maxResponseBytes(10)
                    .defaultLifetime(Duration.ofDays(40))
                    .acceptedTokenTypes()
                    .build())
                    .isInstanceOfSatisfying(ConfigurationException.class, e -> {
                        scanner.seen(e);
                        assertThat(e.problems()).hasSize(6);
                        assertThat(e.getMessage()).contains("clientId", "requestTimeout must be between",
                                "maxResponseBytes must be between 1024 and 16777216", "defaultLifetime",
                                "acceptedTokenTypes", "user info").doesNotContain(":p@");
                    });
        }

        @Test
        @DisplayName("no password in a URL shows in a configuration error: http, unreadable hosts, '@' and '/' in it")
        void userInfoNeverShows() {
            String password = scanner.secret("pw-" + UUID.randomUUID());
            for (String url : new String[] {"http://user:" + password + "@idp.example/t",
                    "https://user:" + password + "@idp.example/t", "https://user:p@ss" + password + "@idp.example/t",
                    "https://user:pa/ss" + password + "@idp.example/t", "http://user:" + password + "@idp_example/t"}) {
                assertThatThrownBy(() -> VertxTokenEndpoint.builder(URI.create(url), CLIENT_ID, Secret.of(clientSecret))
                                .revocationUrl(URI.create(url)).build())
                        .as(url)
                        .isInstanceOfSatisfying(ConfigurationException.class, e -> {
                            scanner.seen(e);
                            assertThat(e.getMessage()).contains("tokenUrl", "revocationUrl")
                                    .doesNotContain(password, "user:", "pa/ss", "p@ss");
                        });
            }
            assertThatThrownBy(() -> VertxTokenEndpoint.builder(URI.create("http://idp_example:8080/t"), CLIENT_ID,
                    Secret.of(clientSecret)).build())
                    .as("an unreadable host without user info is still named")
                    .hasMessageContaining("was 'http://idp_example:8080…'");
            // a password "8080/…" leaves a URL that parses, to host "user": its path must not show either
            URI parses = URI.create("https://user:8080/" + password + "@idp.example/t");
            try (VertxTokenEndpoint e = VertxTokenEndpoint.builder(parses, CLIENT_ID, Secret.of(clientSecret)).build()) {
                assertThat(e.toString()).contains("tokenUrl=https://user:8080/…").doesNotContain(password);
                scanner.seen(e);
            }
        }

        @Test
        @DisplayName("the JWT validator refuses alg none")
        void validatorConfig() {
            assertThatThrownBy(() -> TokenResponseValidator.jwt(Set.of("none")))
                    .isInstanceOf(ConfigurationException.class).hasMessageContaining("'none'");
        }
    }

    @Nested
    @DisplayName("the optional JWT validator")
    class Validator {

        @Test
        void acceptsAnAllowedJwtAndRejectsTheRest() throws Exception {
            try (VertxTokenEndpoint e = endpoint(b -> b.validator(TokenResponseValidator.jwt(Set.of("RS256", "ES256"),
                    Duration.ofHours(1))))) {
                TokenRequest request = new TokenRequest(KEY, Grant.ClientCredentials.INSTANCE);
                String good = scanner.secret(jwt("{\"alg\":\"RS256\"}", "{\"iat\":1,\"exp\":3601}"));
                idp.respondWith(Response.json(200, tokenJson(good, ",\"expires_in\":3600")));
                assertThat(success(e.request(request)).accessToken().reveal()).isEqualTo(good);

                String hs = scanner.secret(jwt("{\"alg\":\"HS256\"}", "{}"));
                String longLived = scanner.secret(jwt("{\"alg\":\"RS256\"}", "{\"iat\":1,\"exp\":99999}"));
                for (String body : new String[] {tokenJson(opaqueToken, ",\"expires_in\":60"),
                        tokenJson(hs, ",\"expires_in\":60"), tokenJson(good, ",\"expires_in\":7200"),
                        tokenJson(longLived, ",\"expires_in\":60")}) {
                    idp.respondWith(Response.json(200, body));
                    TokenException ex = failure(e.request(request));
                    assertThat(ex.kind()).isEqualTo(FailureKind.MALFORMED_RESPONSE);
                    assertThat(ex.getMessage()).contains("JWT validator");
                }
            }
        }
    }

    @Nested
    @DisplayName("revocation (RFC 7009)")
    class Revocation {

        @Test
        void revokesWithClientAuthentication() throws Exception {
            try (VertxTokenEndpoint e = endpoint(b -> b.revocationUrl(idp.uri("/revoke")))) {
                idp.respondWith(Response.status(200));
                e.revoke(Secret.of(refreshToken), "refresh_token").toCompletableFuture().get(15, TimeUnit.SECONDS);
                RecordedRequest req = idp.lastRequest();
                assertThat(req.path()).isEqualTo("/revoke");
                assertThat(req.form()).containsEntry("token", refreshToken).containsEntry("token_type_hint", "refresh_token");
                assertThat(req.header("Authorization")).startsWith("Basic ");

                idp.respondWith(Response.json(400, "{\"error\":\"unsupported_token_type\",\"error_description\":\""
                        + refreshToken + "\"}"));
                TokenException ex = failure(e.revoke(Secret.of(refreshToken), null));
                assertThat(ex.kind()).isEqualTo(FailureKind.REJECTED);
                assertThat(ex.oauthError()).hasValue("unsupported_token_type");
            }
        }

        @Test
        void withoutRevocationUrlIsBadConfiguration() throws Exception {
            assertThat(failure(endpoint.revoke(Secret.of(opaqueToken), "access_token")).kind())
                    .isEqualTo(FailureKind.BAD_CONFIGURATION);
            assertThat(idp.requestCount()).isZero();
        }
    }

    @Nested
    @DisplayName("lifecycle")
    class Lifecycle {

        @Test
        @DisplayName("close() is idempotent, later requests fail, and a caller's Vertx stays open")
        void close() throws Exception {
            Vertx vertx = Vertx.vertx();
            try {
                VertxTokenEndpoint e = endpoint(b -> b.vertx(vertx));
                idp.issueTokens(Duration.ofMinutes(1));
                success(e.request(new TokenRequest(KEY, Grant.ClientCredentials.INSTANCE)));
                e.close();
                e.close();
                assertThat(failure(e.request(new TokenRequest(KEY, Grant.ClientCredentials.INSTANCE))).kind())
                        .isEqualTo(FailureKind.BAD_CONFIGURATION);
                assertThat(vertx.setTimer(1, id -> {})).isNotNegative(); // still usable
            } finally {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        }

        @Test
        @DisplayName("a caller's WebClient is used and left open; vertx and webClient together are refused")
        void callersWebClient() throws Exception {
            Vertx vertx = Vertx.vertx();
            try {
                io.vertx.ext.web.client.WebClient client = io.vertx.ext.web.client.WebClient.create(vertx);
                VertxTokenEndpoint e = endpoint(b -> b.webClient(client));
                idp.issueTokens(Duration.ofMinutes(1));
                success(e.request(new TokenRequest(KEY, Grant.ClientCredentials.INSTANCE)));
                e.close();
                assertThat(client.getAbs(idp.uri("/still-open").toString()).send()
                        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
                assertThatThrownBy(() -> endpoint(b -> b.webClient(client).vertx(vertx)))
                        .isInstanceOf(ConfigurationException.class).hasMessageContaining("either vertx or webClient");
            } finally {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        }

        @Test
        @DisplayName("toString shows no secret")
        void toStringIsSafe() {
            assertThat(endpoint.toString()).contains("VertxTokenEndpoint", "tokenUrl=http://127.0.0.1:");
            scanner.seen(endpoint);
        }
    }
}
