package dev.tokenkeeper.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.tokenkeeper.adapter.http.AuthenticatedWebClient;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.testsupport.keycloak.Keycloak;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Grants and DPoP from configuration alone against a real Keycloak ({@link Keycloak}: one per suite
 * run, realm from test-support's realm file, whose {@code tk-dpop}, {@code tk-password} and
 * {@code tk-exchange} clients and user {@code alice} are there for these tests).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KeycloakGrantsIT {

    // test fixtures of the realm file, not secrets of anything real
    static final String DPOP_SECRET = "tk-dpop-5e2a7c19d84b4e3f";
    static final String PASSWORD_CLIENT_SECRET = "tk-password-8d3f1b7e2a6c4905";
    static final String EXCHANGE_SECRET = "tk-exchange-4b9e6d2c7a1f3058";
    static final String ALICE_PASSWORD = "alice-pw-3c8e1f6a9d";

    Keycloak kc;
    @TempDir
    Path dir;

    @BeforeAll
    void keycloak() {
        kc = Keycloak.get();
    }

    Map<String, String> client(String name, String clientId, String secret) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("clients." + name + ".token-url", kc.tokenEndpoint().toString());
        m.put("clients." + name + ".client-id", clientId);
        m.put("clients." + name + ".client-secret", secret);
        m.put("refresh.proactive", "false");
        return m;
    }

    Path secretFile(String name, String content) throws Exception {
        Path f = Files.writeString(dir.resolve(name), content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    static JWTClaimsSet claims(AccessToken t) throws Exception {
        return SignedJWT.parse(t.value().reveal()).getJWTClaimsSet();
    }

    Map<String, String> passwordClient() throws Exception {
        Map<String, String> m = client("login", "tk-password", PASSWORD_CLIENT_SECRET);
        m.put("clients.login.grant", "password");
        m.put("clients.login.username", "alice");
        m.put("clients.login.password-file", secretFile("alice.pw", ALICE_PASSWORD).toString());
        return m;
    }

    @Test
    @DisplayName("password grant: Keycloak issues alice's token (and a refresh token) from username and password file")
    void password() throws Exception {
        try (Tokenkeeper tk = Tokenkeeper.builder(TokenkeeperConfig.from(Settings.of(passwordClient()))).start()) {
            AccessToken t = tk.provider().token(tk.key("login"));
            assertThat(claims(t).getStringClaim("preferred_username")).isEqualTo("alice");
            assertThat(claims(t).getStringClaim("azp")).isEqualTo("tk-password");
            assertThat(t.refreshToken()).as("Keycloak sends a refresh token with the password grant").isPresent();
        }
    }

    @Test
    @DisplayName("standard token exchange (v2): alice's token from a file becomes a token of tk-exchange for alice")
    void tokenExchange() throws Exception {
        String aliceToken;
        try (Tokenkeeper tk = Tokenkeeper.builder(TokenkeeperConfig.from(Settings.of(passwordClient()))).start()) {
            aliceToken = tk.provider().token(tk.key("login")).value().reveal();
        }
        Map<String, String> m = client("exchange", "tk-exchange", EXCHANGE_SECRET);
        m.put("clients.exchange.grant", "token_exchange");
        m.put("clients.exchange.subject-token-file", secretFile("subject.token", aliceToken).toString());
        m.put("clients.exchange.subject-token-type", "access_token");
        m.put("clients.exchange.requested-token-type", "access_token");
        try (Tokenkeeper tk = Tokenkeeper.builder(TokenkeeperConfig.from(Settings.of(m))).start()) {
            AccessToken t = tk.provider().token(tk.key("exchange"));
            JWTClaimsSet c = claims(t);
            assertThat(c.getStringClaim("preferred_username")).isEqualTo("alice");
            assertThat(c.getStringClaim("azp")).isEqualTo("tk-exchange");
            assertThat(t.value().reveal()).isNotEqualTo(aliceToken);
        }
    }

    @Test
    @DisplayName("DPoP: Keycloak binds the token to the configured key (token_type DPoP, cnf.jkt the thumbprint) "
            + "and its userinfo endpoint accepts the token with an ath proof from AuthenticatedWebClient")
    void dpopBoundToken() throws Exception {
        Map<String, String> m = client("dpop", "tk-dpop", DPOP_SECRET);
        m.put("clients.dpop.dpop", "true");
        m.put("clients.dpop.scope", "openid");
        try (Tokenkeeper tk = Tokenkeeper.builder(TokenkeeperConfig.from(Settings.of(m))).start()) {
            AccessToken t = tk.provider().token(tk.key("dpop"));
            String thumbprint = tk.config().clients().get("dpop").dpop().thumbprint();
            assertThat(t.tokenType()).isEqualToIgnoringCase("DPoP");
            @SuppressWarnings("unchecked")
            Map<String, Object> cnf = (Map<String, Object>) claims(t).getClaim("cnf");
            assertThat(cnf).containsEntry("jkt", thumbprint);

            WebClient web = WebClient.create(tk.vertx());
            try {
                String userinfo = kc.issuer() + "/protocol/openid-connect/userinfo";
                AuthenticatedWebClient api = AuthenticatedWebClient.builder(web, tk.provider(), tk.key("dpop"))
                        .dpop(tk.config().clients().get("dpop").dpop()).build();
                HttpResponse<Buffer> r = api.get(userinfo).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
                assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
                assertThat(r.bodyAsJsonObject().getString("preferred_username")).isEqualTo("service-account-tk-dpop");
                // the same token without its proof, as a bearer token, is refused: it is bound
                HttpResponse<Buffer> bare = web.getAbs(userinfo).putHeader("Authorization", "Bearer " + t.value().reveal())
                        .send().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
                assertThat(bare.statusCode()).isEqualTo(401);
            } finally {
                web.close();
            }
        }
    }
}
