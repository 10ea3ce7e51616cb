package dev.tokenkeeper.adapter.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.Grant;
import dev.tokenkeeper.domain.spi.TokenRequest;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.fakeidp.FakeIdp.Response;
import dev.tokenkeeper.testsupport.SecretScanner;
import dev.tokenkeeper.testsupport.TestClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the endpoint sends for client_secret_jwt, private_key_jwt, mTLS-style and public clients,
 * recorded at a real HTTP server (the fake IdP): the RFC 7523 claims, a new jti for every request
 * sent, a key file re-read after rotation, owner-only key files, and no key or assertion in any
 * message.
 */
class ClientAssertionTest {

    private final SecretScanner scanner = new SecretScanner();
    private final FakeIdp idp = FakeIdp.start();
    private final TestClock clock = TestClock.at(Instant.parse("2026-01-01T00:00:00Z"));
    @TempDir
    Path dir;

    @AfterEach
    void close() {
        idp.close();
        scanner.close();
    }

    private void request(VertxTokenEndpoint endpoint) throws Exception {
        try {
            endpoint.request(new TokenRequest(TokenKey.of("t"), Grant.ClientCredentials.INSTANCE)).toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            scanner.seen(e.getCause());
            throw e;
        }
    }

    private Path ownerOnly(String name, String content) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    private SignedJWT assertionOf(FakeIdp.RecordedRequest r) throws Exception {
        Map<String, String> form = r.form();
        assertThat(form).containsEntry("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
                .containsEntry("client_id", "svc").doesNotContainKey("client_secret");
        assertThat(r.header("Authorization")).isNull();
        scanner.secret(form.get("client_assertion"));
        return SignedJWT.parse(form.get("client_assertion"));
    }

    @Test
    void privateKeyJwtCarriesTheRfc7523ClaimsAndANewJtiForEveryRequestSent() throws Exception {
        RSAKey key = new RSAKeyGenerator(2048).keyUse(KeyUse.SIGNATURE).keyID("k1").generate();
        scanner.secret(key.getPrivateExponent().toString());
        Path file = ownerOnly("key.jwk", key.toJSONString());
        idp.respondWith(Response.status(503), Response.tokens(Duration.ofMinutes(5)), Response.tokens(Duration.ofMinutes(5)));
        try (VertxTokenEndpoint endpoint = VertxTokenEndpoint.builder(idp.tokenUri(), "svc")
                .clientAuthentication(ClientAuthentication.PRIVATE_KEY_JWT)
                .clientAssertionKey(ClientAssertionKey.jwk(file, null))
                .clock(clock)
                .build()) {
            scanner.seen(endpoint);
            assertThatThrownBy(() -> request(endpoint)).cause().isInstanceOfSatisfying(TokenException.class,
                    e -> assertThat(e.kind()).isEqualTo(FailureKind.SERVER_ERROR));
            request(endpoint); // the retry after the 5xx
            request(endpoint);
        }
        List<FakeIdp.RecordedRequest> sent = idp.requests();
        assertThat(sent).hasSize(3);
        Set<String> jtis = new HashSet<>();
        for (FakeIdp.RecordedRequest r : sent) {
            SignedJWT jwt = assertionOf(r);
            assertThat(jwt.verify(new RSASSAVerifier(key.toPublicJWK()))).isTrue();
            assertThat(jwt.getHeader().getAlgorithm().getName()).isEqualTo("RS256");
            assertThat(jwt.getHeader().getKeyID()).isEqualTo("k1");
            JWTClaimsSet c = jwt.getJWTClaimsSet();
            assertThat(c.getIssuer()).isEqualTo("svc");
            assertThat(c.getSubject()).isEqualTo("svc");
            assertThat(c.getAudience()).containsExactly(idp.tokenUri().toString());
            assertThat(c.getIssueTime().toInstant()).isEqualTo(clock.instant());
            assertThat(c.getExpirationTime().toInstant()).isEqualTo(clock.instant().plusSeconds(60));
            jtis.add(c.getJWTID());
        }
        assertThat(jtis).as("a retry never replays a jti").hasSize(3);
    }

    @Test
    void es256AndPs256AndAnExplicitAudience() throws Exception {
        ECKey ec = new ECKeyGenerator(Curve.P_256).keyID("e").generate();
        RSAKey rsa = new RSAKeyGenerator(2048).keyID("p").generate();
        idp.alwaysRespond(Response.tokens(Duration.ofMinutes(5)));
        try (VertxTokenEndpoint es = VertxTokenEndpoint.builder(idp.tokenUri(), "svc")
                        .clientAuthentication(ClientAuthentication.PRIVATE_KEY_JWT)
                        .clientAssertionKey(ClientAssertionKey.of(ec)).assertionAudience("https://idp.example/").build();
                VertxTokenEndpoint ps = VertxTokenEndpoint.builder(idp.tokenUri(), "svc")
                        .clientAuthentication(ClientAuthentication.PRIVATE_KEY_JWT)
                        .clientAssertionKey(ClientAssertionKey.of(rsa)).assertionAlgorithm("PS256").build()) {
            request(es);
            SignedJWT e = assertionOf(idp.lastRequest());
            assertThat(e.getHeader().getAlgorithm().getName()).isEqualTo("ES256");
            assertThat(e.verify(new ECDSAVerifier(ec.toPublicJWK()))).isTrue();
            assertThat(e.getJWTClaimsSet().getAudience()).containsExactly("https://idp.example/");
            request(ps);
            SignedJWT p = assertionOf(idp.lastRequest());
            assertThat(p.getHeader().getAlgorithm().getName()).isEqualTo("PS256");
            assertThat(p.verify(new RSASSAVerifier(rsa.toPublicJWK()))).isTrue();
        }
    }

    @Test
    void anAlgorithmThatDoesNotFitTheKeyIsAConfigurationError() {
        ECKey ec;
        try {
            ec = new ECKeyGenerator(Curve.P_256).generate();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertThatThrownBy(() -> VertxTokenEndpoint.builder(idp.tokenUri(), "svc")
                        .clientAuthentication(ClientAuthentication.PRIVATE_KEY_JWT)
                        .clientAssertionKey(ClientAssertionKey.of(ec)).assertionAlgorithm("RS256").build())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("does not fit");
        assertThatThrownBy(() -> VertxTokenEndpoint.builder(idp.tokenUri(), "svc")
                        .clientAuthentication(ClientAuthentication.PRIVATE_KEY_JWT).build())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("clientAssertionKey must be set");
    }

    @Test
    void clientSecretJwtIsMacdWithTheSecretWhichIsNeverSent() throws Exception {
        String secret = scanner.secret("a-client-secret-of-at-least-32-bytes-0123456789");
        idp.alwaysRespond(Response.tokens(Duration.ofMinutes(5)));
        try (VertxTokenEndpoint endpoint = VertxTokenEndpoint.builder(idp.tokenUri(), "svc", Secret.of(secret))
                .clientAuthentication(ClientAuthentication.CLIENT_SECRET_JWT).build()) {
            request(endpoint);
        }
        SignedJWT jwt = assertionOf(idp.lastRequest());
        assertThat(jwt.getHeader().getAlgorithm().getName()).isEqualTo("HS256");
        assertThat(jwt.verify(new MACVerifier(secret))).isTrue();
        assertThat(idp.lastRequest().body()).doesNotContain(secret);
    }

    @Test
    void aSecretTooShortForHs256IsATypedErrorWithoutTheSecret() throws Exception {
        String secret = scanner.secret("short-secret");
        idp.alwaysRespond(Response.tokens(Duration.ofMinutes(5)));
        try (VertxTokenEndpoint endpoint = VertxTokenEndpoint.builder(idp.tokenUri(), "svc", Secret.of(secret))
                .clientAuthentication(ClientAuthentication.CLIENT_SECRET_JWT).build()) {
            assertThatThrownBy(() -> request(endpoint)).cause().isInstanceOfSatisfying(TokenException.class, e -> {
                assertThat(e.kind()).isEqualTo(FailureKind.BAD_CONFIGURATION);
                assertThat(e.getMessage()).contains("HS256 needs at least 32 bytes");
            });
        }
        assertThat(idp.requestCount()).isZero();
    }

    @Test
    void aRotatedKeyFileIsUsedWithoutARestart() throws Exception {
        RSAKey first = new RSAKeyGenerator(2048).keyID("first").generate();
        RSAKey second = new RSAKeyGenerator(2048).keyID("second").generate();
        Path file = ownerOnly("key.jwk", first.toJSONString());
        idp.alwaysRespond(Response.tokens(Duration.ofMinutes(5)));
        try (VertxTokenEndpoint endpoint = VertxTokenEndpoint.builder(idp.tokenUri(), "svc")
                .clientAuthentication(ClientAuthentication.PRIVATE_KEY_JWT)
                .clientAssertionKey(ClientAssertionKey.jwk(file, null)).build()) {
            request(endpoint);
            assertThat(assertionOf(idp.lastRequest()).getHeader().getKeyID()).isEqualTo("first");
            long before = endpoint.credentialsVersion();
            // as Kubernetes rotates a mounted secret: a new file renamed over the old one
            Path next = ownerOnly("key.jwk.new", second.toJSONString());
            Files.move(next, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            request(endpoint);
            SignedJWT jwt = assertionOf(idp.lastRequest());
            assertThat(jwt.getHeader().getKeyID()).isEqualTo("second");
            assertThat(jwt.verify(new RSASSAVerifier(second.toPublicJWK()))).isTrue();
            assertThat(endpoint.credentialsVersion()).isGreaterThan(before);
        }
    }

    @Test
    void aKeyFileOthersCanReadIsRefusedNamingThePathOnly() throws Exception {
        RSAKey key = new RSAKeyGenerator(2048).generate();
        scanner.secret(key.getPrivateExponent().toString());
        Path file = dir.resolve("open.jwk");
        Files.writeString(file, key.toJSONString());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> ClientAssertionKey.jwk(file, null))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("owner only")
                .satisfies(scanner::seen);
        Path garbage = ownerOnly("garbage.pem", "-----BEGIN PRIVATE KEY-----\nAAAAsecretish\n-----END PRIVATE KEY-----\n");
        scanner.secret("AAAAsecretish");
        assertThatThrownBy(() -> ClientAssertionKey.pem(garbage, null))
                .isInstanceOf(ConfigurationException.class).satisfies(scanner::seen);
    }

    @Test
    void tlsAndPublicClientsSendTheirIdOnly() throws Exception {
        idp.alwaysRespond(Response.tokens(Duration.ofMinutes(5)));
        try (VertxTokenEndpoint endpoint = VertxTokenEndpoint.builder(idp.tokenUri(), "svc")
                .clientAuthentication(ClientAuthentication.NONE).build()) {
            request(endpoint);
        }
        assertThat(idp.lastRequest().form()).containsEntry("client_id", "svc").doesNotContainKeys("client_secret",
                "client_assertion");
        assertThat(idp.lastRequest().header("Authorization")).isNull();
        assertThatThrownBy(() -> VertxTokenEndpoint.builder(idp.tokenUri(), "svc")
                        .clientAuthentication(ClientAuthentication.TLS_CLIENT_AUTH).build())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("clientCertificate must be set");
    }
}
