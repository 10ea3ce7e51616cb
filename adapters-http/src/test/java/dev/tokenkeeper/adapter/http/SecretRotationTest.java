package dev.tokenkeeper.adapter.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.Grant;
import dev.tokenkeeper.domain.spi.TokenRequest;
import dev.tokenkeeper.domain.spi.TokenResponse;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.testsupport.SecretScanner;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, item 8: a client secret kept in a file is picked up after a rotation without a restart,
 * at the latest right after the server rejects the old one, at the cost of at most one rejected
 * request. And item 4's last form: a token URL with user info never shows it.
 */
class SecretRotationTest {

    private static final TokenKey KEY = TokenKey.of("reg");

    private final SecretScanner scanner = new SecretScanner();
    // same length on purpose: a rewrite that keeps the size must still be noticed
    private final String secretA = scanner.secret("secret-A-" + UUID.randomUUID());
    private final String secretB = scanner.secret("secret-B-" + UUID.randomUUID());
    private FakeIdp idp;

    @TempDir
    Path dir;

    @BeforeEach
    void start() {
        idp = FakeIdp.start().issueTokens(Duration.ofMinutes(5));
    }

    @AfterEach
    void stop() {
        idp.close();
        scanner.close();
    }

    @Test
    @DisplayName("a rewritten secret file is read again before the next request: no request is rejected")
    void rewrittenFileIsReadBeforeTheNextRequest() throws Exception {
        Path file = Files.writeString(dir.resolve("secret"), secretA + "\n");
        idp.acceptOnlyClientSecret(secretA);
        try (VertxTokenEndpoint endpoint = endpoint(SecretSource.file(file), ClientAuthentication.CLIENT_SECRET_POST)) {
            success(endpoint);
            assertThat(idp.lastRequest().form().get("client_secret")).as("trimmed").isEqualTo(secretA);

            idp.acceptOnlyClientSecret(secretB);
            Files.writeString(file, secretB + "\n");
            Files.setLastModifiedTime(file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 2_000));
            success(endpoint);
            assertThat(secretsSent()).containsExactly(secretA, secretB);
        }
    }

    @Test
    @DisplayName("credentialsVersion moves when the secret file is rewritten, and only then (so a manager ends a remembered rejection)")
    void credentialsVersionFollowsTheFile() throws Exception {
        Path file = Files.writeString(dir.resolve("secret"), secretA + "\n");
        try (VertxTokenEndpoint endpoint = endpoint(SecretSource.file(file), ClientAuthentication.CLIENT_SECRET_POST);
                VertxTokenEndpoint fixed = endpoint(SecretSource.of(dev.tokenkeeper.domain.Secret.of(secretA)),
                        ClientAuthentication.CLIENT_SECRET_POST)) {
            long before = endpoint.credentialsVersion();
            assertThat(endpoint.credentialsVersion()).as("unchanged file").isEqualTo(before);
            Files.writeString(file, secretB + "\n");
            Files.setLastModifiedTime(file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 2_000));
            assertThat(endpoint.credentialsVersion()).isNotEqualTo(before);
            long after = endpoint.credentialsVersion();
            Files.setLastModifiedTime(file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 2_000));
            assertThat(endpoint.credentialsVersion()).as("touched, same secret").isEqualTo(after);
            assertThat(fixed.credentialsVersion()).isEqualTo(fixed.credentialsVersion());
        }
    }

    @Test
    @DisplayName("a rewrite the file's attributes do not show is read after the server rejects the old secret: one rejected request")
    void rejectionReloadsTheSecret() throws Exception {
        Path file = Files.writeString(dir.resolve("secret"), secretA);
        idp.acceptOnlyClientSecret(secretA);
        try (VertxTokenEndpoint endpoint = endpoint(SecretSource.file(file), ClientAuthentication.CLIENT_SECRET_BASIC)) {
            success(endpoint);

            FileTime before = Files.getLastModifiedTime(file);
            idp.acceptOnlyClientSecret(secretB);
            Files.writeString(file, secretB); // same size
            Files.setLastModifiedTime(file, before); // and the same time: only a rejection can reveal it
            TokenResponse r = success(endpoint);
            assertThat(r.accessToken().reveal()).isEqualTo(idp.issuedTokens().get(1));
            assertThat(secretsSent()).as("one rejected request with A, then B").containsExactly(secretA, secretA, secretB);
        }
    }

    @Test
    @DisplayName("a rejected secret that did not change fails at once, after one request (no loop)")
    void unchangedSecretFailsOnce() throws Exception {
        Path file = Files.writeString(dir.resolve("secret"), secretA);
        idp.acceptOnlyClientSecret(secretB);
        try (VertxTokenEndpoint endpoint = endpoint(SecretSource.file(file), ClientAuthentication.CLIENT_SECRET_BASIC)) {
            assertThatThrownBy(() -> endpoint.request(new TokenRequest(KEY, Grant.ClientCredentials.INSTANCE))
                            .toCompletableFuture().get(10, TimeUnit.SECONDS))
                    .cause().isInstanceOfSatisfying(TokenException.class, e -> {
                        assertThat(e.kind()).isEqualTo(FailureKind.INVALID_CLIENT);
                        scanner.seen(e);
                    });
            assertThat(idp.requestCount()).isEqualTo(1);
        }
    }

    @Test
    @DisplayName("a secret file that disappears for a moment during a rotation keeps the last good secret")
    void missingFileKeepsTheLastSecret() throws Exception {
        Path file = Files.writeString(dir.resolve("secret"), secretA);
        SecretSource source = SecretSource.file(file);
        Files.delete(file);
        assertThat(source.current().reveal()).isEqualTo(secretA);
        Files.writeString(file, " \n");
        assertThat(source.current().reveal()).as("blank: not a secret").isEqualTo(secretA);
        Files.writeString(file, "\t" + secretB + "\r\n");
        assertThat(source.current().reveal()).isEqualTo(secretB);
    }

    @Test
    @DisplayName("an unreadable or empty secret file is a configuration error naming the path, never the content")
    void unreadableFile() throws Exception {
        assertThatThrownBy(() -> SecretSource.file(dir.resolve("absent")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("absent");
        Path blank = Files.writeString(dir.resolve("blank"), "\n\n");
        assertThatThrownBy(() -> SecretSource.file(blank)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("is empty");
    }

    @Test
    @DisplayName("a token URL with user info whose host does not parse: the message never shows the password")
    void userInfoInTokenUrlIsNotEchoed() {
        String password = scanner.secret("pw" + UUID.randomUUID().toString().substring(0, 8));
        for (String url : List.of("https://user:" + password + "@bad_host/token", "http://user:" + password + "@idp.example.com/token",
                "ftp://user:" + password + "@idp.example.com/token")) {
            assertThatThrownBy(() -> VertxTokenEndpoint.builder(URI.create(url), "id", Secret.of(secretA)).build())
                    .isInstanceOfSatisfying(ConfigurationException.class, e -> {
                        assertThat(e.getMessage()).doesNotContain(password).doesNotContain("user:");
                        scanner.seen(e);
                    });
        }
    }

    private VertxTokenEndpoint endpoint(SecretSource source, ClientAuthentication auth) {
        return VertxTokenEndpoint.builder(idp.tokenUri(), "client-id", source).clientAuthentication(auth)
                .requestTimeout(Duration.ofSeconds(5)).build();
    }

    private TokenResponse success(VertxTokenEndpoint endpoint) throws Exception {
        try {
            return endpoint.request(new TokenRequest(KEY, Grant.ClientCredentials.INSTANCE)).toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            scanner.seen(e.getCause());
            throw e;
        }
    }

    private List<String> secretsSent() {
        return idp.requests().stream().map(FakeIdp::clientSecretOf).toList();
    }
}
