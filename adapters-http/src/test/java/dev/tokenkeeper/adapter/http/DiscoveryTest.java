package dev.tokenkeeper.adapter.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.Grant;
import dev.tokenkeeper.domain.spi.TokenRequest;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.fakeidp.FakeIdp.Response;
import dev.tokenkeeper.testsupport.TestClock;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.io.TempDir;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Discovery against a real HTTP server: which documents are tried, the issuer check, mTLS aliases, caching and backoff on an injected clock. */
class DiscoveryTest {

    private final FakeIdp idp = FakeIdp.start();
    private final TestClock clock = TestClock.at(Instant.parse("2026-01-01T00:00:00Z"));

    @AfterEach
    void close() {
        idp.close();
    }

    private String doc(URI issuer, String extra) {
        return "{\"issuer\":\"" + issuer + "\",\"token_endpoint\":\"" + idp.uri("/token")
                + "\",\"token_endpoint_auth_methods_supported\":[\"client_secret_basic\",\"private_key_jwt\"]" + extra + "}";
    }

    private static void request(VertxTokenEndpoint e) throws Exception {
        e.request(new TokenRequest(TokenKey.of("t"), Grant.ClientCredentials.INSTANCE)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private VertxTokenEndpoint endpoint(URI issuer, ClientAuthentication auth) {
        return VertxTokenEndpoint.discover(issuer, "svc", SecretSource.of(Secret.of("s3cret-value"))).clientAuthentication(auth)
                .clock(clock).build();
    }

    @Test
    void candidatesFollowRfc8414ThenOpenIdThenTheKeycloakForm() {
        assertThat(Discovery.candidates(URI.create("https://idp.example/realms/prod"))).containsExactly(
                URI.create("https://idp.example/.well-known/oauth-authorization-server/realms/prod"),
                URI.create("https://idp.example/realms/prod/.well-known/openid-configuration"),
                URI.create("https://idp.example/realms/prod/.well-known/oauth-authorization-server"));
        assertThat(Discovery.candidates(URI.create("https://idp.example"))).containsExactly(
                URI.create("https://idp.example/.well-known/oauth-authorization-server"),
                URI.create("https://idp.example/.well-known/openid-configuration"));
    }

    @Test
    void aDocumentFoundAfterA404IsUsedAndCachedForAnHour() throws Exception {
        URI issuer = idp.uri("/realms/prod");
        idp.respondWith(Response.status(404), Response.json(200, doc(issuer, "")), Response.tokens(Duration.ofMinutes(5)),
                Response.tokens(Duration.ofMinutes(5)));
        try (VertxTokenEndpoint e = endpoint(issuer, ClientAuthentication.CLIENT_SECRET_BASIC)) {
            request(e);
            request(e);
            assertThat(idp.requests()).extracting(FakeIdp.RecordedRequest::path).containsExactly(
                    "/.well-known/oauth-authorization-server/realms/prod", "/realms/prod/.well-known/openid-configuration",
                    "/token", "/token");
        }
    }

    @Test
    void anotherIssuerInTheDocumentIsRefused() {
        URI issuer = idp.uri("/a");
        idp.alwaysRespond(Response.json(200, doc(idp.uri("/b"), "")));
        try (VertxTokenEndpoint e = endpoint(issuer, ClientAuthentication.CLIENT_SECRET_BASIC)) {
            assertThatThrownBy(() -> request(e)).cause().isInstanceOfSatisfying(TokenException.class, t -> {
                assertThat(t.kind()).isEqualTo(FailureKind.BAD_CONFIGURATION);
                assertThat(t.getMessage()).contains("/b").contains("must be identical");
            });
        }
    }

    @Test
    void aMethodTheServerDoesNotListIsABadConfiguration() {
        URI issuer = idp.uri("/a");
        idp.alwaysRespond(Response.json(200, doc(issuer, "")));
        try (VertxTokenEndpoint e = endpoint(issuer, ClientAuthentication.CLIENT_SECRET_POST)) {
            assertThatThrownBy(() -> request(e)).cause().isInstanceOfSatisfying(TokenException.class, t -> {
                assertThat(t.kind()).isEqualTo(FailureKind.BAD_CONFIGURATION);
                assertThat(t.getMessage()).contains("client_secret_post");
            });
        }
    }

    @Test
    void aFailedFetchIsRetriedOnlyAfterABackoffThatDoublesAndIsBounded() throws Exception {
        URI issuer = idp.uri("/a");
        idp.alwaysRespond(Response.status(503));
        try (VertxTokenEndpoint e = endpoint(issuer, ClientAuthentication.CLIENT_SECRET_BASIC)) {
            assertThatThrownBy(() -> request(e)).cause().isInstanceOfSatisfying(TokenException.class,
                    t -> assertThat(t.kind()).isEqualTo(FailureKind.SERVER_ERROR));
            int afterFirst = idp.requestCount();
            assertThatThrownBy(() -> request(e)).isInstanceOf(ExecutionException.class);
            assertThat(idp.requestCount()).as("within the backoff: the last failure, no request").isEqualTo(afterFirst);
            clock.advance(Duration.ofSeconds(1));
            assertThatThrownBy(() -> request(e)).isInstanceOf(ExecutionException.class);
            int afterSecond = idp.requestCount();
            assertThat(afterSecond).isGreaterThan(afterFirst);
            clock.advance(Duration.ofSeconds(1)); // the backoff is now 2 s
            assertThatThrownBy(() -> request(e)).isInstanceOf(ExecutionException.class);
            assertThat(idp.requestCount()).isEqualTo(afterSecond);
            for (int i = 0; i < 20; i++) { // doubling stops at the bound
                clock.advance(Discovery.MAX_BACKOFF);
                assertThatThrownBy(() -> request(e)).isInstanceOf(ExecutionException.class);
            }
            int bounded = idp.requestCount();
            clock.advance(Discovery.MAX_BACKOFF);
            assertThatThrownBy(() -> request(e)).isInstanceOf(ExecutionException.class);
            assertThat(idp.requestCount()).as("one more fetch after the bounded backoff").isGreaterThan(bounded);
            // the server recovers: the next attempt after the backoff finds the document
            idp.respondWith(Response.json(200, doc(issuer, "")), Response.tokens(Duration.ofMinutes(5)));
            clock.advance(Discovery.MAX_BACKOFF);
            request(e);
        }
    }

    @Test
    void tlsClientsUseTheMtlsEndpointAliasesAndOthersDoNot(@TempDir Path dir) throws Exception {
        URI issuer = idp.uri("/a");
        String aliases = ",\"mtls_endpoint_aliases\":{\"token_endpoint\":\"" + idp.uri("/mtls/token") + "\"}";
        String document = doc(issuer, aliases).replace("\"private_key_jwt\"", "\"self_signed_tls_client_auth\"");
        // a self-signed certificate made now (plain http to the fake IdP: it is configured, not presented)
        Path p12 = dir.resolve("c.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "c", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=svc", "-validity", "2",
                "-keystore", p12.toString(), "-storetype", "PKCS12", "-storepass", "changeit").redirectErrorStream(true).start();
        keytool.getInputStream().readAllBytes();
        assertThat(keytool.waitFor()).isZero();
        Files.setPosixFilePermissions(p12, PosixFilePermissions.fromString("rw-------"));
        idp.respondWith(Response.json(200, document), Response.tokens(Duration.ofMinutes(5)));
        try (VertxTokenEndpoint e = VertxTokenEndpoint.discover(issuer, "svc", null)
                .clientAuthentication(ClientAuthentication.SELF_SIGNED_TLS_CLIENT_AUTH)
                .clientCertificate(ClientCertificate.pkcs12(p12, SecretSource.of(Secret.of("changeit"))))
                .clock(clock).build()) {
            request(e);
        }
        assertThat(idp.lastRequest().path()).isEqualTo("/mtls/token");
        assertThat(idp.lastRequest().form()).containsEntry("client_id", "svc");
        idp.respondWith(Response.json(200, document), Response.tokens(Duration.ofMinutes(5)));
        try (VertxTokenEndpoint e = endpoint(issuer, ClientAuthentication.CLIENT_SECRET_BASIC)) {
            request(e);
        }
        assertThat(idp.lastRequest().path()).isEqualTo("/token");
    }
}
