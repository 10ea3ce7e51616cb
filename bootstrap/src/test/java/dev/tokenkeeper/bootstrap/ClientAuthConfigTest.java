package dev.tokenkeeper.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.SignedJWT;
import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.fakeidp.FakeIdp.Response;
import dev.tokenkeeper.testsupport.SecretScanner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client authentication settings ({@code auth-method}, {@code assertion-*}, {@code tls-*},
 * {@code issuer}) from properties, through the whole manager: a retry after a 5xx sends a new
 * assertion, and the method is part of a client's store identity.
 */
class ClientAuthConfigTest {

    private final SecretScanner scanner = new SecretScanner();
    private final FakeIdp idp = FakeIdp.start();
    @TempDir
    Path dir;

    @AfterEach
    void close() {
        idp.close();
        scanner.close();
    }

    private static String pem(byte[] der) {
        return "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END PRIVATE KEY-----\n";
    }

    private Path keyFile(RSAKey key, String perms) throws Exception {
        Path f = dir.resolve("client-" + UUID.randomUUID() + ".pem");
        Files.writeString(f, pem(key.toPrivateKey().getEncoded()));
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(perms));
        return f;
    }

    @Test
    void privateKeyJwtFromPropertiesRetriesAfterA5xxWithANewJti() throws Exception {
        RSAKey key = new RSAKeyGenerator(2048).keyID("cfg-key").generate();
        scanner.secret(key.getPrivateExponent().toString());
        Path file = keyFile(key, "rw-------");
        Map<String, String> props = Map.of(
                "clients.orders.token-url", idp.tokenUri().toString(),
                "clients.orders.client-id", "orders",
                "clients.orders.auth-method", "private_key_jwt",
                "clients.orders.assertion-key-file", file.toString(),
                "clients.orders.assertion-key-id", "cfg-key",
                "resilience.attempts", "3",
                "refresh.proactive", "false");
        idp.respondWith(Response.status(503), Response.tokens(Duration.ofMinutes(10)));
        // the retry waits the resilience layer's real backoff (about 250 ms): the manager's retry timer is not the test clock
        try (Tokenkeeper tk = Tokenkeeper.start(TokenkeeperConfig.from(Settings.of(props)))) {
            String token = tk.provider().token(tk.defaultKey()).value().reveal();
            scanner.secret(token);
            scanner.seen(tk.config().toString());
        }
        List<FakeIdp.RecordedRequest> sent = idp.requests();
        assertThat(sent).hasSize(2);
        SignedJWT first = SignedJWT.parse(sent.get(0).form().get("client_assertion"));
        SignedJWT second = SignedJWT.parse(sent.get(1).form().get("client_assertion"));
        scanner.secret(first.serialize());
        scanner.secret(second.serialize());
        assertThat(first.verify(new RSASSAVerifier(key.toPublicJWK()))).isTrue();
        assertThat(second.verify(new RSASSAVerifier(key.toPublicJWK()))).isTrue();
        assertThat(first.getHeader().getKeyID()).isEqualTo("cfg-key");
        assertThat(second.getJWTClaimsSet().getJWTID()).as("the retry carries a new jti")
                .isNotEqualTo(first.getJWTClaimsSet().getJWTID());
    }

    @Test
    void twoClientsDifferingOnlyByAuthMethodNeverShareAStoredToken() throws Exception {
        idp.alwaysRespond(Response.tokens(Duration.ofMinutes(10)));
        String db = "jdbc:h2:mem:tk-auth-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        String keys = SealingKeys.generateSpec("k1");
        java.util.function.Function<String, Map<String, String>> config = method -> {
            Map<String, String> m = new HashMap<>(Map.of(
                    "clients.orders.token-url", idp.tokenUri().toString(),
                    "clients.orders.client-id", "orders",
                    "clients.orders.client-secret", "orders-secret-value",
                    "clients.orders.auth-method", method,
                    "store.type", "jdbc",
                    "store.url", db,
                    "sealing.keys", keys,
                    "refresh.proactive", "false"));
            return m;
        };
        String basic;
        try (Tokenkeeper tk = Tokenkeeper.start(TokenkeeperConfig.from(Settings.of(config.apply("client_secret_basic"))))) {
            basic = tk.provider().token(tk.defaultKey()).value().reveal();
        }
        try (Tokenkeeper same = Tokenkeeper.start(TokenkeeperConfig.from(Settings.of(config.apply("client_secret_basic"))))) {
            assertThat(same.provider().token(same.defaultKey()).value().reveal())
                    .as("the same client in another instance reads the stored token").isEqualTo(basic);
        }
        assertThat(idp.issued()).isEqualTo(1);
        try (Tokenkeeper post = Tokenkeeper.start(TokenkeeperConfig.from(Settings.of(config.apply("client_secret_post"))))) {
            assertThat(post.provider().token(post.defaultKey()).value().reveal()).isNotEqualTo(basic);
        }
        assertThat(idp.issued()).as("another auth method: its own token").isEqualTo(2);
        assertThat(idp.lastRequest().form()).containsKey("client_secret");
    }

    @Test
    void issuerInsteadOfTokenUrlAndNoSecretForKeyMethods() throws Exception {
        RSAKey key = new RSAKeyGenerator(2048).generate();
        Path file = keyFile(key, "r--------");
        TokenkeeperConfig c = TokenkeeperConfig.from(Settings.of(Map.of(
                "clients.a.issuer", "https://idp.example/realms/x",
                "clients.a.client-id", "a",
                "clients.a.auth-method", "private_key_jwt",
                "clients.a.assertion-key-file", file.toString(),
                "clients.a.assertion-audience", "issuer",
                "clients.a.assertion-algorithm", "PS256",
                "clients.b.token-url", "https://idp.example/token",
                "clients.b.client-id", "b",
                "clients.b.auth-method", "none")));
        assertThat(c.clients().get("a").tokenUrl()).isNull();
        assertThat(c.clients().get("a").auth().issuer()).hasToString("https://idp.example/realms/x");
        assertThat(c.clients().get("a").identity()).contains("issuer https://idp.example/realms/x").contains("auth=private_key_jwt");
        assertThat(c.clients().get("b").clientSecret()).isNull();
    }

    @Test
    void everyProblemOfTheAuthSettingsAtOnceWithoutKeyMaterial() throws Exception {
        RSAKey key = new RSAKeyGenerator(2048).generate();
        scanner.secret(key.getPrivateExponent().toString());
        Path open = keyFile(key, "rw-r--r--");
        Map<String, String> props = new HashMap<>();
        props.putAll(Map.of(
                "clients.a.token-url", "https://idp.example/token", "clients.a.client-id", "a",
                "clients.a.auth-method", "private_key_jwt",
                "clients.b.token-url", "https://idp.example/token", "clients.b.client-id", "b",
                "clients.b.auth-method", "tls_client_auth",
                "clients.c.token-url", "https://idp.example/token", "clients.c.client-id", "c",
                "clients.c.auth-method", "private_key_jwt", "clients.c.assertion-key-file", open.toString()));
        props.putAll(Map.of(
                "clients.d.token-url", "https://idp.example/token", "clients.d.client-id", "d",
                "clients.d.auth-method", "client_secret_jwt",
                "clients.e.token-url", "https://idp.example/token", "clients.e.client-id", "e",
                "clients.e.auth-method", "magic", "clients.e.client-secret", "x"));
        assertThatThrownBy(() -> TokenkeeperConfig.from(Settings.of(props)))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> {
                    scanner.seen(e);
                    assertThat(e.getMessage())
                            .contains("clients.a.assertion-key-file: required for auth-method private_key_jwt")
                            .contains("clients.b.tls-cert-file: required for auth-method tls_client_auth")
                            .contains("clients.c.assertion-key-file:").contains(open.toString()).contains("owner only")
                            .contains("clients.d.client-secret: required for auth-method client_secret_jwt")
                            .contains("clients.e.auth-method: must be one of");
                });
    }
}
