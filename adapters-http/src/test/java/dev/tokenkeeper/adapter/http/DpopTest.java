package dev.tokenkeeper.adapter.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.oauth2.sdk.dpop.JWKThumbprintConfirmation;
import com.nimbusds.oauth2.sdk.dpop.verifiers.DPoPIssuer;
import com.nimbusds.oauth2.sdk.dpop.verifiers.DPoPProtectedResourceRequestVerifier;
import com.nimbusds.oauth2.sdk.dpop.verifiers.DPoPTokenRequestVerifier;
import com.nimbusds.oauth2.sdk.dpop.verifiers.InMemoryDPoPSingleUseChecker;
import com.nimbusds.oauth2.sdk.token.DPoPAccessToken;
import com.nimbusds.openid.connect.sdk.Nonce;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenStatus;
import dev.tokenkeeper.domain.api.TokenProvider;
import dev.tokenkeeper.domain.spi.Grant;
import dev.tokenkeeper.domain.spi.TokenRequest;
import dev.tokenkeeper.domain.spi.TokenResponse;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.fakeidp.FakeIdp.RecordedRequest;
import dev.tokenkeeper.fakeidp.FakeIdp.Response;
import dev.tokenkeeper.testsupport.SecretScanner;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * DPoP (RFC 9449) end to end on loopback: token requests to the fake IdP and resource requests to a
 * Vert.x resource server, every proof checked by an independent verifier (the Nimbus OAuth 2.0
 * SDK's, with a single-use {@code jti} check, so a replayed proof fails the test).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DpopTest {

    private static final String CLIENT_ID = "dpop-client";
    private static final Set<JWSAlgorithm> ALGS = Set.of(JWSAlgorithm.ES256, JWSAlgorithm.RS256);

    private final SecretScanner scanner = new SecretScanner();
    private final String clientSecret = scanner.secret("dpop-secret-" + UUID.randomUUID());
    private FakeIdp idp;
    private InMemoryDPoPSingleUseChecker usedJtis;

    @BeforeAll
    void start() {
        idp = FakeIdp.start();
    }

    @AfterAll
    void stop() {
        idp.close();
        scanner.close();
    }

    @BeforeEach
    void reset() {
        idp.reset();
        usedJtis = new InMemoryDPoPSingleUseChecker(300, 300);
    }

    @AfterEach
    void clean() {
        usedJtis.shutdown();
        scanner.assertClean();
    }

    private VertxTokenEndpoint endpoint(DpopProofs dpop) {
        VertxTokenEndpoint.Builder b = VertxTokenEndpoint.builder(idp.tokenUri(), CLIENT_ID, Secret.of(clientSecret))
                .requestTimeout(Duration.ofSeconds(5));
        if (dpop != null) {
            b.dpop(dpop);
        }
        VertxTokenEndpoint e = b.build();
        scanner.seen(e);
        return e;
    }

    private static Response dpopToken(String value) {
        return Response.json(200, "{\"access_token\":\"" + value + "\",\"token_type\":\"DPoP\",\"expires_in\":300}");
    }

    private static Response nonceChallenge(String nonce) {
        return Response.error(400, "use_dpop_nonce", "Authorization server requires nonce in DPoP proof")
                .withHeader("DPoP-Nonce", nonce);
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

    /** Verifies a token request's proof as an authorization server would, nonce included; returns its claims' jti. */
    private SignedJWT verifiedTokenProof(RecordedRequest r, String expectedNonce) throws Exception {
        String header = r.header("DPoP");
        assertThat(header).as("DPoP header").isNotNull();
        SignedJWT proof = SignedJWT.parse(header);
        DPoPTokenRequestVerifier verifier = new DPoPTokenRequestVerifier(ALGS, idp.tokenUri(), 60, 60, usedJtis);
        verifier.verify(new DPoPIssuer(CLIENT_ID), proof, expectedNonce == null ? null : new Nonce(expectedNonce));
        return proof;
    }

    private static TokenRequest request() {
        return new TokenRequest(TokenKey.of("orders", "orders.read"), Grant.ClientCredentials.INSTANCE);
    }

    @Nested
    @DisplayName("token requests")
    class TokenRequests {

        @Test
        @DisplayName("every token request carries a valid proof (typ dpop+jwt, htm POST, htu the token URL, a new jti), and the DPoP token type is kept")
        void proofOnEveryRequest() throws Exception {
            DpopProofs dpop = DpopProofs.generate();
            String t1 = scanner.secret("at-" + UUID.randomUUID());
            String t2 = scanner.secret("at-" + UUID.randomUUID());
            idp.respondWith(dpopToken(t1), dpopToken(t2));
            try (VertxTokenEndpoint e = endpoint(dpop)) {
                assertThat(success(e.request(request())).tokenType()).isEqualTo("DPoP");
                assertThat(success(e.request(request())).accessToken().reveal()).isEqualTo(t2);
                List<RecordedRequest> rs = idp.requests();
                assertThat(rs).hasSize(2);
                SignedJWT p1 = verifiedTokenProof(rs.get(0), null);
                SignedJWT p2 = verifiedTokenProof(rs.get(1), null);
                assertThat(p1.getHeader().getType().toString()).isEqualTo("dpop+jwt");
                assertThat(p1.getHeader().getJWK().computeThumbprint().toString()).isEqualTo(dpop.thumbprint())
                        .isEqualTo(e.tokenBinding());
                assertThat(p1.getJWTClaimsSet().getStringClaim("htm")).isEqualTo("POST");
                assertThat(p1.getJWTClaimsSet().getStringClaim("htu")).isEqualTo(idp.tokenUri().toString());
                assertThat(p1.getJWTClaimsSet().getClaim("ath")).as("no access token goes with a token request").isNull();
                assertThat(p1.getHeader().getJWK().isPrivate()).as("only the public key is sent").isFalse();
                assertThat(p2.getJWTClaimsSet().getJWTID()).isNotEqualTo(p1.getJWTClaimsSet().getJWTID());
            }
        }

        @Test
        @DisplayName("use_dpop_nonce: exactly one retry, whose proof has a new jti and the server's nonce; later proofs keep the nonce")
        void nonceRetry() throws Exception {
            DpopProofs dpop = DpopProofs.generate();
            String token = scanner.secret("at-" + UUID.randomUUID());
            idp.respondWith(nonceChallenge("nonce-1"), dpopToken(token), dpopToken(token));
            try (VertxTokenEndpoint e = endpoint(dpop)) {
                TokenResponse r = success(e.request(request()));
                assertThat(r.accessToken().reveal()).isEqualTo(token);
                assertThat(r.tokenType()).isEqualTo("DPoP");
                List<RecordedRequest> rs = idp.requests();
                assertThat(rs).hasSize(2);
                SignedJWT first = verifiedTokenProof(rs.get(0), null);
                SignedJWT retry = verifiedTokenProof(rs.get(1), "nonce-1");
                assertThat(first.getJWTClaimsSet().getClaim("nonce")).isNull();
                assertThat(retry.getJWTClaimsSet().getStringClaim("nonce")).isEqualTo("nonce-1");
                assertThat(retry.getJWTClaimsSet().getJWTID()).isNotEqualTo(first.getJWTClaimsSet().getJWTID());
                success(e.request(request()));
                assertThat(verifiedTokenProof(idp.requests().get(2), "nonce-1").getJWTClaimsSet().getStringClaim("nonce"))
                        .isEqualTo("nonce-1");
            }
        }

        @Test
        @DisplayName("a second use_dpop_nonce is the answer: never a third request")
        void nonceRetryOnlyOnce() throws Exception {
            idp.respondWith(nonceChallenge("n1"), nonceChallenge("n2"));
            idp.alwaysRespond(dpopToken("never"));
            try (VertxTokenEndpoint e = endpoint(DpopProofs.generate())) {
                TokenException te = failure(e.request(request()));
                assertThat(te.oauthError()).contains("use_dpop_nonce");
                assertThat(idp.requests()).hasSize(2);
            }
        }

        @Test
        @DisplayName("a 5xx and the caller's retry: the retry's proof has a new jti (a proof is never replayed)")
        void retryAfterServerErrorHasNewJti() throws Exception {
            String token = scanner.secret("at-" + UUID.randomUUID());
            idp.respondWith(Response.status(503), dpopToken(token));
            try (VertxTokenEndpoint e = endpoint(DpopProofs.generate())) {
                assertThat(failure(e.request(request())).kind()).isEqualTo(FailureKind.SERVER_ERROR);
                success(e.request(request()));
                SignedJWT a = verifiedTokenProof(idp.requests().get(0), null);
                SignedJWT b = verifiedTokenProof(idp.requests().get(1), null); // the single-use check would reject a replay
                assertThat(b.getJWTClaimsSet().getJWTID()).isNotEqualTo(a.getJWTClaimsSet().getJWTID());
            }
        }

        @Test
        @DisplayName("a server that does not bind answers Bearer: accepted and kept as Bearer")
        void bearerFromADpopClient() throws Exception {
            idp.respondWith(Response.tokens(Duration.ofMinutes(5)));
            try (VertxTokenEndpoint e = endpoint(DpopProofs.generate())) {
                assertThat(success(e.request(request())).tokenType()).isEqualTo("Bearer");
            }
            idp.issuedTokens().forEach(scanner::secret);
        }

        @Test
        @DisplayName("without DPoP: no proof, no binding, and a DPoP token type is refused")
        void withoutDpop() throws Exception {
            idp.respondWith(dpopToken("x-" + UUID.randomUUID()));
            try (VertxTokenEndpoint e = endpoint(null)) {
                assertThat(failure(e.request(request())).kind()).isEqualTo(FailureKind.MALFORMED_RESPONSE);
                assertThat(idp.lastRequest().header("DPoP")).isNull();
                assertThat(e.tokenBinding()).isEmpty();
            }
        }
    }

    @Nested
    @DisplayName("keys")
    class Keys {

        @TempDir
        Path dir;

        @Test
        @DisplayName("a key from a JWK file and the same key from PEM have one thumbprint; generated keys differ")
        void jwkAndPem() throws Exception {
            ECKey key = new ECKeyGenerator(Curve.P_256).generate();
            Path jwk = dir.resolve("dpop.jwk");
            Files.writeString(jwk, key.toJSONString());
            Path pem = dir.resolve("dpop.pem");
            Files.writeString(pem, "-----BEGIN PRIVATE KEY-----\n"
                    + java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.toECPrivateKey().getEncoded())
                    + "\n-----END PRIVATE KEY-----\n-----BEGIN PUBLIC KEY-----\n"
                    + java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.toECPublicKey().getEncoded())
                    + "\n-----END PUBLIC KEY-----\n");
            String expected = key.computeThumbprint().toString();
            assertThat(DpopProofs.load(jwk).thumbprint()).isEqualTo(expected);
            assertThat(DpopProofs.load(pem).thumbprint()).isEqualTo(expected);
            assertThat(DpopProofs.generate().thumbprint()).isNotEqualTo(DpopProofs.generate().thumbprint());
            assertThat(DpopProofs.of(new RSAKeyGenerator(2048).generate(), InstantSource.system()).toString()).contains("RS256");
        }

        @Test
        @DisplayName("a public key, a bad file or a missing file is a ConfigurationException naming the path, never the content")
        void badKeys() throws Exception {
            ECKey key = new ECKeyGenerator(Curve.P_256).generate();
            Path pub = dir.resolve("public.jwk");
            Files.writeString(pub, key.toPublicJWK().toJSONString());
            assertThatThrownBy(() -> DpopProofs.load(pub)).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("private key");
            String secretLooking = scanner.secret("not-a-key-" + UUID.randomUUID());
            Path junk = dir.resolve("junk.pem");
            Files.writeString(junk, secretLooking);
            assertThatThrownBy(() -> DpopProofs.load(junk)).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining(junk.toString())
                    .satisfies(scanner::seen);
            assertThatThrownBy(() -> DpopProofs.load(dir.resolve("missing"))).isInstanceOf(ConfigurationException.class);
        }
    }

    @Nested
    @DisplayName("resource requests through AuthenticatedWebClient")
    class ResourceRequests {

        private Vertx vertx;
        private WebClient web;
        private HttpServer server;
        private final List<String> proofs = new CopyOnWriteArrayList<>();
        private final List<String> authorizations = new CopyOnWriteArrayList<>();
        private volatile String requiredNonce;
        private volatile String token;
        private volatile JWKThumbprintConfirmation cnf;

        @BeforeEach
        void startResourceServer() throws Exception {
            vertx = Vertx.vertx();
            web = WebClient.create(vertx);
            DPoPProtectedResourceRequestVerifier verifier = new DPoPProtectedResourceRequestVerifier(ALGS, 60, 60, usedJtis);
            server = vertx.createHttpServer().requestHandler(req -> {
                String proof = req.getHeader("DPoP");
                String authz = req.getHeader("Authorization");
                proofs.add(String.valueOf(proof));
                authorizations.add(String.valueOf(authz));
                try {
                    if (authz == null || !authz.startsWith("DPoP ") || proof == null) {
                        req.response().setStatusCode(401).putHeader("WWW-Authenticate", "DPoP algs=\"ES256\"").end();
                        return;
                    }
                    SignedJWT jwt = SignedJWT.parse(proof);
                    if (requiredNonce != null && !requiredNonce.equals(jwt.getJWTClaimsSet().getStringClaim("nonce"))) {
                        req.response().setStatusCode(401).putHeader("DPoP-Nonce", requiredNonce)
                                .putHeader("WWW-Authenticate", "DPoP error=\"use_dpop_nonce\", error_description=\"nonce\"").end();
                        return;
                    }
                    URI uri = URI.create("http://127.0.0.1:" + server.actualPort() + req.path());
                    verifier.verify(req.method().name(), uri, new DPoPIssuer(CLIENT_ID), jwt,
                            new DPoPAccessToken(authz.substring(5)), cnf,
                            requiredNonce == null ? null : new Nonce(requiredNonce));
                    if (!authz.substring(5).equals(token)) {
                        throw new IllegalStateException("unknown token");
                    }
                    req.response().setStatusCode(200).end("ok");
                } catch (Exception e) {
                    req.response().setStatusCode(401).putHeader("WWW-Authenticate", "DPoP error=\"invalid_token\"")
                            .end(e.getClass().getSimpleName());
                }
            });
            server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }

        @AfterEach
        void stopResourceServer() throws Exception {
            web.close();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }

        private String url(String path) {
            return "http://127.0.0.1:" + server.actualPort() + path + "?q=1";
        }

        private TokenProvider provider(AccessToken t) {
            return new TokenProvider() {
                @Override
                public AccessToken token(TokenKey key) {
                    return t;
                }

                @Override
                public CompletionStage<AccessToken> tokenAsync(TokenKey key) {
                    return CompletableFuture.completedFuture(t);
                }

                @Override
                public void invalidate(TokenKey key) {}

                @Override
                public boolean invalidate(TokenKey key, AccessToken rejected) {
                    return false;
                }

                @Override
                public TokenStatus status(TokenKey key) {
                    throw new UnsupportedOperationException();
                }
            };
        }

        private AccessToken dpopToken(DpopProofs dpop) {
            token = scanner.secret("rs-token-" + UUID.randomUUID());
            cnf = new JWKThumbprintConfirmation(new com.nimbusds.jose.util.Base64URL(dpop.thumbprint()));
            Instant now = Instant.now();
            return new AccessToken(Secret.of(token), "DPoP", now, now.plusSeconds(300), Set.of(), null);
        }

        private HttpResponse<Buffer> await(io.vertx.core.Future<HttpResponse<Buffer>> f) throws Exception {
            return f.toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
        }

        @Test
        @DisplayName("a DPoP token goes as 'DPoP <token>' with a proof bound to method, URI (without query) and the token (ath)")
        void proofWithAth() throws Exception {
            DpopProofs dpop = DpopProofs.generate();
            AccessToken t = dpopToken(dpop);
            AuthenticatedWebClient client = AuthenticatedWebClient.builder(web, provider(t), TokenKey.of("api")).dpop(dpop).build();
            assertThat(await(client.get(url("/orders"))).statusCode()).isEqualTo(200);
            assertThat(await(client.get(url("/orders"))).statusCode()).isEqualTo(200); // a new jti, or the verifier refuses it
            SignedJWT p = SignedJWT.parse(proofs.get(0));
            assertThat(p.getJWTClaimsSet().getStringClaim("htm")).isEqualTo("GET");
            assertThat(p.getJWTClaimsSet().getStringClaim("htu")).isEqualTo("http://127.0.0.1:" + server.actualPort() + "/orders");
            assertThat(p.getJWTClaimsSet().getStringClaim("ath")).isEqualTo(DpopProofs.ath(Secret.of(token)));
        }

        @Test
        @DisplayName("the resource server's use_dpop_nonce: one more request with the nonce, the token kept")
        void resourceServerNonce() throws Exception {
            DpopProofs dpop = DpopProofs.generate();
            AccessToken t = dpopToken(dpop);
            requiredNonce = "rs-nonce-" + UUID.randomUUID();
            AuthenticatedWebClient client = AuthenticatedWebClient.builder(web, provider(t), TokenKey.of("api")).dpop(dpop).build();
            assertThat(await(client.get(url("/orders"))).statusCode()).isEqualTo(200);
            assertThat(proofs).hasSize(2);
            assertThat(SignedJWT.parse(proofs.get(1)).getJWTClaimsSet().getStringClaim("nonce")).isEqualTo(requiredNonce);
            assertThat(await(client.get(url("/orders"))).statusCode()).as("the nonce is remembered").isEqualTo(200);
            assertThat(proofs).hasSize(3);
        }

        @Test
        @DisplayName("headers(...) gives code with its own HTTP client the Authorization value and a proof")
        void headersForOwnClient() throws Exception {
            DpopProofs dpop = DpopProofs.generate();
            AccessToken t = dpopToken(dpop);
            DpopProofs.Headers h = dpop.headers("POST", URI.create(url("/orders")), t);
            assertThat(h.authorization()).isEqualTo("DPoP " + token);
            HttpResponse<Buffer> r = await(web.postAbs(url("/orders")).putHeader("Authorization", h.authorization())
                    .putHeader("DPoP", h.proof()).send());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(h.toString()).doesNotContain(token);
            AccessToken bearer = new AccessToken(Secret.of(token), "Bearer", Instant.now(), Instant.now().plusSeconds(60), Set.of(), null);
            assertThat(dpop.headers("GET", URI.create(url("/")), bearer).proof()).isNull();
        }

        @Test
        @DisplayName("a DPoP token without a key configured fails with BAD_CONFIGURATION and nothing is sent")
        void dpopTokenWithoutKey() throws Exception {
            AccessToken t = dpopToken(DpopProofs.generate());
            AuthenticatedWebClient client = AuthenticatedWebClient.builder(web, provider(t), TokenKey.of("api")).build();
            assertThatThrownBy(() -> await(client.get(url("/orders")))).hasCauseInstanceOf(TokenException.class)
                    .satisfies(e -> assertThat(((TokenException) e.getCause()).kind()).isEqualTo(FailureKind.BAD_CONFIGURATION))
                    .satisfies(scanner::seen);
            assertThat(proofs).isEmpty();
        }
    }
}
