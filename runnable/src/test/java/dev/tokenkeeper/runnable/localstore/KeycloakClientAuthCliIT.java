package dev.tokenkeeper.runnable.localstore;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.SignedJWT;
import dev.tokenkeeper.runnable.cli.TokenkeeperCli;
import dev.tokenkeeper.testsupport.RequiredServers;
import dev.tokenkeeper.testsupport.SecretScanner;
import dev.tokenkeeper.testsupport.keycloak.Keycloak;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runnable's {@code token} command (in a JVM of its own, as a user runs it) and its sidecar
 * obtain tokens from a real Keycloak with every client authentication method, configured by a
 * properties file alone: private_key_jwt, client_secret_jwt, tls_client_auth over HTTPS with a test
 * CA and the endpoints discovered from the realm's issuer, and client_secret_basic. Nothing printed
 * holds a key, a secret or an assertion. (In this package for {@link CliProcess}.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KeycloakClientAuthCliIT {

    private final SecretScanner scanner = new SecretScanner();
    private Keycloak kc;
    private RSAKey key;
    private Path keyPem;
    private Path mtlsP12;
    @TempDir
    Path work;

    @BeforeAll
    void keycloak(@TempDir Path keys) throws Exception {
        kc = Keycloak.get();
        scanner.secret(Keycloak.SECRET_CLIENT_SECRET);
        scanner.secret(Keycloak.SECRET_JWT_CLIENT_SECRET);
        key = new RSAKeyGenerator(2048).keyUse(KeyUse.SIGNATURE).keyID("cli-" + System.nanoTime()).generate();
        scanner.secret(key.getPrivateExponent().toString());
        kc.useJwks("tk-cli-jwt", new JWKSet(key.toPublicJWK()).toString());
        String pem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(key.toPrivateKey().getEncoded()) + "\n-----END PRIVATE KEY-----\n";
        pem.lines().filter(l -> !l.startsWith("-----")).forEach(scanner::secret);
        keyPem = keys.resolve("cli.pem");
        Files.writeString(keyPem, pem);
        Files.setPosixFilePermissions(keyPem, PosixFilePermissions.fromString("rw-------"));
        mtlsP12 = kc.issueClientCertificate("tk-mtls", keys);
        Files.setPosixFilePermissions(mtlsP12, PosixFilePermissions.fromString("rw-------"));
    }

    @AfterAll
    void scan() {
        scanner.close();
    }

    /** One properties file with a client per method. */
    private Path properties(String extra) throws Exception {
        Path config = work.resolve("tokenkeeper.properties");
        Files.writeString(config, String.join("\n",
                "clients.pkjwt.token-url=" + kc.tokenEndpoint(),
                "clients.pkjwt.client-id=tk-cli-jwt",
                "clients.pkjwt.auth-method=private_key_jwt",
                "clients.pkjwt.assertion-key-file=" + keyPem,
                "clients.pkjwt.assertion-key-id=" + key.getKeyID(),
                "clients.secretjwt.token-url=" + kc.tokenEndpoint(),
                "clients.secretjwt.client-id=tk-secret-jwt",
                "clients.secretjwt.auth-method=client_secret_jwt",
                "clients.secretjwt.client-secret-env=TK_SECRET_JWT",
                "clients.mtls.issuer=" + kc.httpsIssuer(),
                "clients.mtls.client-id=tk-mtls",
                "clients.mtls.auth-method=tls_client_auth",
                "clients.mtls.tls-keystore-file=" + mtlsP12,
                "clients.mtls.tls-keystore-password-env=TK_P12_PASSWORD",
                "clients.mtls.trust-file=" + kc.caPem(),
                "clients.basic.issuer=" + kc.issuer(),
                "clients.basic.client-id=tk-secret",
                "clients.basic.client-secret-env=TK_SECRET",
                extra, ""), StandardCharsets.UTF_8);
        return config;
    }

    private Map<String, String> env() {
        return Map.of("TK_SECRET_JWT", Keycloak.SECRET_JWT_CLIENT_SECRET, "TK_SECRET", Keycloak.SECRET_CLIENT_SECRET,
                "TK_P12_PASSWORD", Keycloak.STORE_PASSWORD, "TOKENKEEPER_HOME", work.resolve("home").toString());
    }

    private static String azp(String jwt) throws Exception {
        return SignedJWT.parse(jwt.strip()).getJWTClaimsSet().getStringClaim("azp");
    }

    @Test
    void theTokenCommandObtainsATokenWithEveryMethodFromAPropertiesFileAlone() throws Exception {
        Path config = properties("");
        for (Map.Entry<String, String> c : Map.of("pkjwt", "tk-cli-jwt", "secretjwt", "tk-secret-jwt", "mtls", "tk-mtls",
                "basic", "tk-secret").entrySet()) {
            CliProcess.Result r = CliProcess.run(work, env(), "--config", config.toString(), "token", "--client", c.getKey());
            scanner.seen(r.stderr()); // stdout is the token, by design: it must be that one line and nothing else
            assertThat(r.exit()).as(r.toString()).isZero();
            assertThat(r.stdout().strip().lines()).hasSize(1);
            assertThat(azp(r.stdout())).as(c.getKey()).isEqualTo(c.getValue());
        }
    }

    @Test
    void theSidecarServesATokenForEveryMethod() throws Exception {
        int port = RequiredServers.freePort();
        String bearer = scanner.secret("sidecar-bearer-" + System.nanoTime());
        Path config = properties(String.join("\n", "sidecar.port=" + port, "sidecar.token-endpoint.enabled=true",
                "sidecar.token-endpoint.secret-env=SIDECAR_BEARER"));
        Map<String, String> env = new java.util.HashMap<>(env());
        env.put("SIDECAR_BEARER", bearer);
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        Thread serve = new Thread(() -> exit.complete(TokenkeeperCli.run(env, "--config", config.toString(), "serve")),
                "serve-under-test");
        serve.start();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        try {
            URI base = URI.create("http://127.0.0.1:" + port);
            for (Map.Entry<String, String> c : Map.of("pkjwt", "tk-cli-jwt", "secretjwt", "tk-secret-jwt", "mtls", "tk-mtls",
                    "basic", "tk-secret").entrySet()) {
                HttpResponse<String> r = null;
                // the sidecar starts in the background: ask until it listens (a real-time wait, bounded)
                for (int i = 0; i < 100 && r == null; i++) {
                    try {
                        r = http.send(HttpRequest.newBuilder(base.resolve("/token/" + c.getKey()))
                                .header("Authorization", "Bearer " + bearer).timeout(Duration.ofSeconds(30)).build(),
                                HttpResponse.BodyHandlers.ofString());
                    } catch (java.io.IOException notYet) {
                        TimeUnit.MILLISECONDS.sleep(200);
                    }
                }
                assertThat(r).isNotNull();
                assertThat(r.statusCode()).as(c.getKey() + ": " + r.body()).isEqualTo(200);
                String token = new JsonObject(r.body()).getString("access_token");
                assertThat(azp(token)).as(c.getKey()).isEqualTo(c.getValue());
            }
        } finally {
            serve.interrupt();
            assertThat(exit.get(30, TimeUnit.SECONDS)).isEqualTo(TokenkeeperCli.OK);
        }
    }
}
