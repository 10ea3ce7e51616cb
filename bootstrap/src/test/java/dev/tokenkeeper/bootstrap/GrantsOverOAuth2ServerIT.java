package dev.tokenkeeper.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jwt.SignedJWT;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.fakeidp.FakeIdp;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every primary grant from configuration alone, through the whole assembly (configuration →
 * manager → Vert.x endpoint) against a real OAuth 2.0 server: mock-oauth2-server issues real signed
 * JWTs for token exchange, JWT bearer and password, and its tokens' claims show what it was given;
 * the refresh-token-only client runs against the fake IdP, which rotates refresh tokens and refuses
 * one it did not issue.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrantsOverOAuth2ServerIT {

    static final String ISSUER = "grants";
    MockOAuth2Server server;
    @TempDir
    Path dir;

    @BeforeAll
    void start() {
        server = new MockOAuth2Server();
        server.start();
    }

    @AfterAll
    void stop() {
        server.shutdown();
    }

    @BeforeEach
    void drain() {
        try {
            while (true) {
                server.takeRequest(1, TimeUnit.MILLISECONDS); // forget earlier tests' requests
            }
        } catch (RuntimeException drained) {
            // the server says "no request found in queue": drained
        }
    }

    Map<String, String> client(String grant) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("clients.c.token-url", server.tokenEndpointUrl(ISSUER).toString());
        m.put("clients.c.client-id", "grants-client");
        m.put("clients.c.client-secret", "grants-secret");
        m.put("clients.c.grant", grant);
        m.put("refresh.proactive", "false");
        return m;
    }

    Path file(String name, String content) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, content + "\n");
        return f;
    }

    /** The form of the next request the server received. */
    Map<String, String> nextForm() throws Exception {
        var r = server.takeRequest(5, TimeUnit.SECONDS);
        assertThat(r).as("a request reached the server").isNotNull();
        Map<String, String> form = new HashMap<>();
        for (String pair : r.getBody().readUtf8().split("&")) {
            String[] kv = pair.split("=", 2);
            form.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8), URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
        }
        return form;
    }

    static String claim(AccessToken t, String name) throws Exception {
        Object v = SignedJWT.parse(t.value().reveal()).getJWTClaimsSet().getClaim(name);
        return v instanceof List<?> l ? String.valueOf(l.get(0)) : String.valueOf(v);
    }

    @Test
    @DisplayName("token exchange: the subject token comes from a file, is read again after it rotates, and the audience is sent")
    void tokenExchangeFromARotatingFile() throws Exception {
        String alice = server.issueToken(ISSUER, "alice", "tk").serialize();
        Path subject = file("subject.jwt", alice);
        Map<String, String> m = client("token_exchange");
        m.put("clients.c.subject-token-file", subject.toString());
        m.put("clients.c.subject-token-type", "jwt");
        m.put("clients.c.requested-token-type", "access_token");
        m.put("clients.c.audience", "api://downstream");
        try (Tokenkeeper tk = Tokenkeeper.builder(TokenkeeperConfig.from(Settings.of(m))).start()) {
            TokenKey key = tk.key("c");
            AccessToken first = tk.provider().token(key);
            assertThat(claim(first, "sub")).isEqualTo("alice");
            assertThat(claim(first, "aud")).isEqualTo("api://downstream");
            Map<String, String> form = nextForm();
            assertThat(form).containsEntry("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange")
                    .containsEntry("subject_token", alice)
                    .containsEntry("subject_token_type", "urn:ietf:params:oauth:token-type:jwt")
                    .containsEntry("requested_token_type", "urn:ietf:params:oauth:token-type:access_token")
                    .containsEntry("audience", "api://downstream");

            // the platform rotates the projected token: a new file is renamed over the old one
            String bob = server.issueToken(ISSUER, "bob", "tk").serialize();
            Path next = file("subject.jwt.new", bob);
            Files.move(next, subject, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            tk.provider().invalidate(key, first);
            AccessToken second = tk.provider().token(key);
            assertThat(claim(second, "sub")).isEqualTo("bob");
            assertThat(nextForm()).containsEntry("subject_token", bob);
        }
    }

    @Test
    @DisplayName("token exchange: subject token from a variable, actor token from a file")
    void tokenExchangeWithActor() throws Exception {
        String subject = server.issueToken(ISSUER, "carol", "tk").serialize();
        String actor = server.issueToken(ISSUER, "gateway", "tk").serialize();
        Map<String, String> m = client("token_exchange");
        m.put("clients.c.subject-token-env", "SUBJECT_TOKEN");
        m.put("clients.c.actor-token-file", file("actor.jwt", actor).toString());
        m.put("clients.c.actor-token-type", "jwt");
        m.put("clients.c.audience", "api://x");
        Settings s = Settings.of(m, Map.of("SUBJECT_TOKEN", subject), "test");
        try (Tokenkeeper tk = Tokenkeeper.builder(TokenkeeperConfig.from(s)).start()) {
            assertThat(claim(tk.provider().token(tk.key("c")), "sub")).isEqualTo("carol");
            assertThat(nextForm()).containsEntry("subject_token", subject)
                    .containsEntry("subject_token_type", "urn:ietf:params:oauth:token-type:access_token")
                    .containsEntry("actor_token", actor)
                    .containsEntry("actor_token_type", "urn:ietf:params:oauth:token-type:jwt");
        }
    }

    @Test
    @DisplayName("JWT bearer (RFC 7523 §2.1): the assertion from a file is the grant")
    void jwtBearer() throws Exception {
        String assertion = server.issueToken(ISSUER, "workload-7", "tk").serialize();
        Map<String, String> m = client("jwt_bearer");
        m.put("clients.c.grant-assertion-file", file("assertion.jwt", assertion).toString());
        m.put("clients.c.scope", "orders.read");
        try (Tokenkeeper tk = Tokenkeeper.builder(TokenkeeperConfig.from(Settings.of(m))).start()) {
            AccessToken t = tk.provider().token(tk.key("c"));
            assertThat(claim(t, "sub")).isEqualTo("workload-7");
            assertThat(nextForm()).containsEntry("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")
                    .containsEntry("assertion", assertion)
                    .containsEntry("scope", "orders.read");
        }
    }

    @Test
    @DisplayName("password: username and the password from a file")
    void password() throws Exception {
        Map<String, String> m = client("password");
        m.put("clients.c.username", "dave");
        Path pw = file("password", "s3cret-pw");
        m.put("clients.c.password-file", pw.toString());
        try (Tokenkeeper tk = Tokenkeeper.builder(TokenkeeperConfig.from(Settings.of(m))).start()) {
            AccessToken t = tk.provider().token(tk.key("c"));
            assertThat(claim(t, "sub")).isEqualTo("dave");
            assertThat(nextForm()).containsEntry("grant_type", "password").containsEntry("username", "dave")
                    .containsEntry("password", "s3cret-pw");
            assertThat(tk.toString() + tk.config()).doesNotContain("s3cret-pw");
            // the password is rotated: the file is rewritten, and the next login sends the new one
            Files.writeString(pw, "n3w-s3cret-pw-longer\n");
            tk.provider().invalidate(tk.key("c")); // forgets the refresh token too: a new login
            tk.provider().token(tk.key("c"));
            assertThat(nextForm()).containsEntry("grant_type", "password").containsEntry("password", "n3w-s3cret-pw-longer");
        }
    }

    @Test
    @DisplayName("refresh-token-only: the configured refresh token is used first, then the rotated ones tokenkeeper keeps")
    void refreshTokenOnly() throws Exception {
        try (FakeIdp idp = FakeIdp.start()) {
            idp.alwaysRespond(FakeIdp.Response.tokensWithRefresh(Duration.ofMinutes(5)));
            // the first refresh token is obtained elsewhere (here: one plain request)
            HttpClient http = HttpClient.newHttpClient();
            http.send(HttpRequest.newBuilder(idp.tokenUri())
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&client_id=x&client_secret=y"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            String imported = idp.issuedRefreshTokens().get(0);
            Map<String, String> m = client("refresh_token");
            m.put("clients.c.token-url", idp.tokenUri().toString());
            m.put("clients.c.refresh-token-file", file("refresh", imported).toString());
            try (Tokenkeeper tk = Tokenkeeper.builder(TokenkeeperConfig.from(Settings.of(m))).start()) {
                TokenKey key = tk.key("c");
                AccessToken first = tk.provider().token(key);
                assertThat(idp.lastRequest().form()).containsEntry("grant_type", "refresh_token")
                        .containsEntry("refresh_token", imported);
                tk.provider().invalidate(key, first);
                AccessToken second = tk.provider().token(key);
                // the imported token was spent (the fake IdP refuses reuse): the rotated one was used
                assertThat(idp.lastRequest().form().get("refresh_token")).isEqualTo(idp.issuedRefreshTokens().get(1));
                assertThat(second.value()).isNotEqualTo(first.value());
            }
        }
    }

    @Test
    @DisplayName("incomplete or mixed grant settings are named, never shown")
    void badGrantSettings() throws Exception {
        Map<String, String> m = client("token_exchange");
        m.put("clients.c.grant-assertion-file", file("a.jwt", "eyJhbGciOiJub25lIn0.e30.").toString());
        assertThatThrownBy(() -> TokenkeeperConfig.from(Settings.of(m)))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("clients.c.subject-token-env")
                .hasMessageContaining("clients.c.grant-assertion-file")
                .hasMessageContaining("applies only to grant=jwt_bearer");
        Map<String, String> p = client("password");
        p.put("clients.c.password-env", "NOT_SET_ANYWHERE_X");
        assertThatThrownBy(() -> TokenkeeperConfig.from(Settings.of(p, Map.of(), "test")))
                .hasMessageContaining("clients.c.username").hasMessageContaining("NOT_SET_ANYWHERE_X");
        Map<String, String> g = client("implicit");
        assertThatThrownBy(() -> TokenkeeperConfig.from(Settings.of(g))).hasMessageContaining("clients.c.grant");
    }

    @Test
    @DisplayName("a URN grant name is accepted as well as the short one")
    void urnGrantName() throws Exception {
        Map<String, String> m = client("urn:ietf:params:oauth:grant-type:jwt-bearer");
        m.put("clients.c.grant-assertion-file", file("b.jwt", server.issueToken(ISSUER, "w", "tk").serialize()).toString());
        TokenkeeperConfig c = TokenkeeperConfig.from(Settings.of(m));
        assertThat(c.clients().get("c").grant().grantType()).isEqualTo("urn:ietf:params:oauth:grant-type:jwt-bearer");
    }
}
